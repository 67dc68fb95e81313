/**
 * The reference of a WebSocket or SSE API (decision 0053): its channels with their connection URLs
 * and limits, and a console that holds one connection open through the portal's same-origin try-it
 * proxy (/gateway/<environment>/…, decision 0023), with the console's credential and never the
 * session cookie.
 *
 * - WebSocket: the browser's WebSocket takes a URL and subprotocols only, so the access token goes
 *   as the offered subprotocol `bearer.<token>` (decision 0042), which the gateway takes out of the
 *   offer. Every frame sent and received is listed, and the close with its code and what it means.
 * - SSE: `EventSource` cannot set headers either, so the stream is a `fetch` with `Authorization`
 *   and the proxy's header, read chunk by chunk and split into events as they arrive (the WHATWG
 *   HTML "event stream" interpretation: lines, blank line ends an event).
 */
import type { CatalogApiDetail } from '../api/types.ts';
import { h, mount } from './dom.ts';
import type { ConsoleEnvironment } from './graphql-console.ts';
import type { Credential } from './try-it.ts';

/**
 * What a close code means, for the codes a developer meets here: RFC 6455 §7.4.1's own, and the
 * gateway's 44xx (workers/gateway/src/websocket/close-codes.ts, documented in decision 0042).
 * A frame over a limit is not a close: it comes back as an error frame and the socket stays open.
 */
export const CLOSE_MEANINGS: Readonly<Record<number, string>> = {
  1000: 'normal closure',
  1001: 'going away',
  1006: 'the connection dropped without a close frame (or the handshake was refused)',
  1011: "the backend's socket failed or went away",
  4401: 'credential revoked or expired, or its application deleted',
  4403: 'subscription blocked or removed, API blocked or undeployed, or a blocking condition matched',
  4408: 'idle timeout: no frame either way for the API’s idle time',
  4410: 'maximum connection duration reached',
};

export function closeMeaning(code: number): string {
  return CLOSE_MEANINGS[code] ?? (code >= 4000 && code <= 4999 ? 'closed by the backend (its own code)' : 'see RFC 6455 §7.4');
}

export type StreamingEnvironment = ConsoleEnvironment & { publicUrl: string };

const seconds = (n: number): string => (n % 3600 === 0 ? `${n / 3600} h` : n % 60 === 0 ? `${n / 60} min` : `${n} s`);

/** The channels card: each channel (resource) with the URL a client connects to, per environment, and the limits. */
export function channelsCard(api: CatalogApiDetail, environments: readonly StreamingEnvironment[]): HTMLElement {
  const ws = api.type === 'WS';
  const limits = api.streaming;
  const url = (e: StreamingEnvironment, path: string) => `${ws ? e.publicUrl.replace(/^http/, 'ws') : e.publicUrl}${path}`;
  return h(
    'section',
    { class: 'card', id: 'streaming-channels' },
    h('h2', {}, ws ? 'Channels' : 'Event streams'),
    h(
      'table',
      { class: 'resources' },
      h('thead', {}, h('tr', {}, h('th', {}, ws ? 'Channel' : 'Stream'), h('th', {}, 'Connect to'), h('th', {}, 'Security'))),
      h(
        'tbody',
        {},
        ...api.resources.map((r) =>
          h(
            'tr',
            { 'data-channel': r.path },
            h('td', { 'data-label': ws ? 'Channel' : 'Stream' }, h('code', {}, r.path)),
            h(
              'td',
              { 'data-label': 'Connect to' },
              ...environments.map((e) => h('div', {}, h('code', { class: 'connection-url' }, url(e, r.path)), ` ${e.displayName}`)),
            ),
            h(
              'td',
              { 'data-label': 'Security' },
              r.authType === 'none' ? 'open' : `${r.authType}${r.scopes.length > 0 ? ` · scopes ${r.scopes.join(' ')}` : ''}`,
            ),
          ),
        ),
      ),
    ),
    limits === null
      ? null
      : h(
          'dl',
          { class: 'facts', id: 'streaming-limits' },
          h('dt', {}, 'Token'),
          h(
            'dd',
            {},
            ws
              ? 'Authorization: Bearer …, or from a browser the subprotocols bearer.<token> and turnpike.bearer (the gateway selects the latter back)'
              : 'Authorization: Bearer … (EventSource cannot send it: read the stream with fetch)',
            limits.allowQueryToken ? '; ?access_token= is accepted too' : '',
          ),
          h('dt', {}, 'Idle timeout'),
          h('dd', {}, seconds(limits.idleTimeoutSeconds)),
          h('dt', {}, 'Longest connection'),
          h('dd', {}, seconds(limits.maxDurationSeconds)),
          h('dt', {}, 'Connections per subscription'),
          h('dd', {}, limits.maxConnectionsPerSubscription === null ? 'no limit' : String(limits.maxConnectionsPerSubscription)),
          ...(ws
            ? [
                h('dt', {}, 'Frames'),
                h('dd', {}, 'each frame you send counts like a request against your tier; one over the limit gets an error frame'),
                h('dt', {}, 'Close codes'),
                h(
                  'dd',
                  { id: 'close-codes' },
                  h('ul', {}, ...[4401, 4403, 4408, 4410, 1011].map((c) => h('li', {}, h('code', {}, String(c)), ` ${closeMeaning(c)}`))),
                ),
              ]
            : []),
        ),
  );
}

interface ConsoleParts {
  environment: HTMLSelectElement;
  channel: HTMLSelectElement;
  status: HTMLElement;
  log: HTMLElement;
}

function consoleParts(prefix: string, api: CatalogApiDetail, environments: readonly ConsoleEnvironment[]): ConsoleParts {
  return {
    environment: h(
      'select',
      { id: `${prefix}-environment`, 'aria-label': 'Gateway environment' },
      ...environments.map((e) => h('option', { value: e.name }, `${e.displayName} (${e.name})`)),
    ),
    channel: h(
      'select',
      { id: `${prefix}-channel`, 'aria-label': 'Channel' },
      ...api.resources.map((r) => h('option', { value: r.path }, r.path)),
    ),
    status: h('p', { class: 'hint', id: `${prefix}-status`, 'aria-live': 'polite' }),
    log: h('ol', { class: 'stream-log', id: `${prefix}-log`, 'aria-live': 'polite' }),
  };
}

const time = (): string => new Date().toISOString().slice(11, 23);

function logLine(log: HTMLElement, kind: string, text: string): void {
  log.append(h('li', { class: `frame ${kind}`, 'data-kind': kind }, h('span', { class: 'muted' }, `${time()} `), text));
  log.scrollTop = log.scrollHeight;
}

/** A frame the gateway sent instead of relaying one of ours: its problem+json (decision 0042), recognised to flag it. */
function isErrorFrame(data: string): boolean {
  try {
    const body = JSON.parse(data) as unknown;
    return typeof body === 'object' && body !== null && 'status' in body && 'type' in body && 'title' in body;
  } catch {
    return false;
  }
}

/** The WebSocket console: connect with the console's access token, send frames, see frames and the close. */
export function webSocketConsole(
  base: string,
  api: CatalogApiDetail,
  environments: readonly ConsoleEnvironment[],
  credential: () => Credential,
): HTMLElement {
  const { environment, channel, status, log } = consoleParts('ws', api, environments);
  const message = h('textarea', { id: 'ws-message', rows: '3', 'aria-label': 'Frame to send', spellcheck: 'false' });
  message.value = 'hello';
  const connect = h('button', { type: 'button', id: 'ws-connect' }, 'Connect');
  const send = h('button', { type: 'button', id: 'ws-send', disabled: '' }, 'Send');
  const disconnect = h('button', { type: 'button', id: 'ws-disconnect', class: 'secondary', disabled: '' }, 'Disconnect');
  let socket: WebSocket | null = null;
  const idle = () => {
    socket = null;
    connect.disabled = false;
    send.disabled = true;
    disconnect.disabled = true;
  };
  connect.addEventListener('click', () => {
    const cred = credential();
    if (cred.value !== '' && cred.mode !== 'bearer') {
      mount(
        status,
        'A browser cannot send an API key on a WebSocket: use an OAuth2 access token (sent as the subprotocol bearer.<token>).',
      );
      return;
    }
    const url = `${location.origin.replace(/^http/, 'ws')}/gateway/${encodeURIComponent(environment.value)}${base}${channel.value}`;
    // With the token, `turnpike.bearer`: the gateway selects it back when the backend selects no
    // subprotocol, since a browser that offered some fails a handshake that selects none.
    const ws = cred.value === '' ? new WebSocket(url) : new WebSocket(url, [`bearer.${cred.value}`, 'turnpike.bearer']);
    socket = ws;
    connect.disabled = true;
    disconnect.disabled = false;
    mount(status, `Connecting to ${channel.value}…`);
    ws.addEventListener('open', () => {
      send.disabled = false;
      mount(status, h('strong', { 'data-state': 'open' }, 'Connected'), ` to ${channel.value}`);
      logLine(log, 'open', `connected to ${base}${channel.value}`);
    });
    ws.addEventListener('message', (event: MessageEvent<unknown>) => {
      const data =
        typeof event.data === 'string' ? event.data : `(binary frame, ${event.data instanceof Blob ? event.data.size : 0} bytes)`;
      logLine(log, isErrorFrame(data) ? 'error' : 'in', `← ${data}`);
    });
    ws.addEventListener('close', (event: CloseEvent) => {
      const meaning = closeMeaning(event.code);
      logLine(log, 'close', `closed ${event.code}${event.reason === '' ? '' : ` "${event.reason}"`}: ${meaning}`);
      mount(status, h('strong', { 'data-close': String(event.code) }, `Closed ${event.code}`), ` · ${meaning}`);
      if (socket === ws) idle();
    });
  });
  send.addEventListener('click', () => {
    if (socket === null || socket.readyState !== WebSocket.OPEN) return;
    socket.send(message.value);
    logLine(log, 'out', `→ ${message.value}`);
  });
  disconnect.addEventListener('click', () => socket?.close(1000, 'closed from the console'));
  return h(
    'section',
    { class: 'card', id: 'ws-console' },
    h('h2', {}, 'WebSocket console'),
    h('div', { class: 'toolbar' }, environment, channel, connect, disconnect),
    h('div', { class: 'toolbar' }, message, send),
    status,
    log,
  );
}

/** One event of an event stream (WHATWG HTML §9.2.6): `event`, `id` and the `data` lines joined by newlines. */
export interface StreamEvent {
  event: string;
  id: string | null;
  data: string;
}

/** Splits what arrived so far into whole events; the unfinished rest is returned to be continued. */
export function parseEvents(buffer: string): { events: StreamEvent[]; rest: string } {
  const events: StreamEvent[] = [];
  const blocks = buffer.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    const e: StreamEvent = { event: 'message', id: null, data: '' };
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'event') e.event = value;
      else if (field === 'id') e.id = value;
    }
    if (data.length === 0) continue;
    e.data = data.join('\n');
    events.push(e);
  }
  return { events, rest };
}

/** The SSE console: opens the stream through the try-it proxy with the console's credential and lists events as they arrive. */
export function sseConsole(
  base: string,
  api: CatalogApiDetail,
  environments: readonly ConsoleEnvironment[],
  credential: () => Credential,
): HTMLElement {
  const { environment, channel, status, log } = consoleParts('sse', api, environments);
  const query = h('input', { id: 'sse-query', 'aria-label': 'Query string', placeholder: '?name=value', spellcheck: 'false' });
  const open = h('button', { type: 'button', id: 'sse-open' }, 'Open stream');
  const stop = h('button', { type: 'button', id: 'sse-stop', class: 'secondary', disabled: '' }, 'Stop');
  let abort: AbortController | null = null;
  open.addEventListener('click', () => {
    const controller = new AbortController();
    abort = controller;
    open.disabled = true;
    stop.disabled = false;
    mount(status, `Opening ${channel.value}…`);
    void (async () => {
      const headers: Record<string, string> = { accept: 'text/event-stream', 'x-turnpike-try-it': '1' };
      const cred = credential();
      if (cred.value !== '') {
        if (cred.mode === 'bearer') headers['authorization'] = `Bearer ${cred.value}`;
        else headers[cred.header] = cred.value;
      }
      const q = query.value.trim();
      const search = q === '' ? '' : q.startsWith('?') ? q : `?${q}`;
      let count = 0;
      try {
        const res = await fetch(`${location.origin}/gateway/${encodeURIComponent(environment.value)}${base}${channel.value}${search}`, {
          headers,
          credentials: 'omit',
          signal: controller.signal,
        });
        const state = h('strong', { 'data-status': String(res.status) }, `${res.status} ${res.statusText}`);
        if (!res.ok || res.body === null) {
          mount(status, state);
          logLine(log, 'error', await res.text());
          return;
        }
        mount(status, state, ' · streaming');
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          const parsed = parseEvents(buffer + value);
          buffer = parsed.rest;
          for (const e of parsed.events) {
            count += 1;
            logLine(log, 'event', `${e.event}${e.id === null ? '' : ` #${e.id}`}: ${e.data}`);
          }
        }
        mount(status, state, h('span', { 'data-ended': String(count) }, ` · the stream ended after ${count} events`));
      } catch (err) {
        mount(
          status,
          controller.signal.aborted
            ? `Stopped after ${count} events.`
            : `The stream failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      } finally {
        if (abort === controller) abort = null;
        open.disabled = false;
        stop.disabled = true;
      }
    })();
  });
  stop.addEventListener('click', () => abort?.abort());
  return h(
    'section',
    { class: 'card', id: 'sse-console' },
    h('h2', {}, 'Event stream console'),
    h('div', { class: 'toolbar' }, environment, channel, query, open, stop),
    status,
    log,
  );
}

import { trackProgress } from '../api/client.ts';
import { h, mount } from './dom.ts';
import { codeBlock } from './secret.ts';
import { exampleOf, type Operation } from './openapi.ts';

/** The credential every console of the page sends: a bearer token or an API key in a header. */
export interface Credential {
  mode: 'bearer' | 'apikey';
  value: string;
  header: string;
}

/**
 * One operation's console: inputs for its path, query and header parameters and its body, sent
 * through the portal's same-origin /gateway proxy; the response is shown as text, never as HTML.
 */
export function tryIt(doc: Record<string, unknown>, base: string, op: Operation, credential: () => Credential, gatewayUrl: string): HTMLElement {
  const inputs = op.parameters.map((p) => {
    const input = h('input', { 'data-param': p.name, 'data-in': p.in, placeholder: p.required ? 'required' : 'optional', 'aria-label': `${p.name} (${p.in})`, ...(p.required ? { required: true } : {}) });
    const example = exampleOf(doc, p.schema);
    if (p.in === 'path' && example !== null && typeof example !== 'object') input.value = String(example);
    return { p, input };
  });
  const body = op.body === null ? null : h('textarea', { rows: '6', 'aria-label': 'Request body', 'data-field': 'body' });
  if (body !== null && op.body !== null) body.value = JSON.stringify(exampleOf(doc, op.body.schema), null, 2);
  const result = h('div', { class: 'try-response', 'aria-live': 'polite' });
  const send = h('button', { type: 'submit', 'data-action': 'send' }, 'Send request');
  const form = h(
    'form',
    { class: 'console', 'data-operation': `${op.method} ${op.path}` },
    h('h4', {}, 'Try it'),
    ...inputs.map(({ p, input }) => h('div', { class: 'field' }, h('label', {}, `${p.name} `, h('span', { class: 'muted' }, `${p.in}${p.required ? ', required' : ''}`)), input)),
    body === null ? null : h('div', { class: 'field' }, h('label', {}, `Body (${op.body?.contentType ?? ''})`), body),
    send,
    result,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      send.disabled = true;
      try {
        const missing = inputs.filter(({ p, input }) => p.required && input.value.trim() === '').map(({ p }) => p.name);
        if (missing.length > 0) {
          mount(result, h('p', { class: 'error', role: 'alert' }, `Fill in ${missing.join(', ')}`));
          return;
        }
        let path = op.path;
        const query = new URLSearchParams();
        const headers = new Headers({ 'x-turnpike-try-it': '1' });
        for (const { p, input } of inputs) {
          if (input.value === '') continue;
          if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(input.value));
          else if (p.in === 'query') query.append(p.name, input.value);
          else if (p.in === 'header') headers.set(p.name, input.value);
        }
        const cred = credential();
        if (cred.value !== '') {
          if (cred.mode === 'bearer') headers.set('authorization', `Bearer ${cred.value}`);
          else headers.set(cred.header || 'apikey', cred.value);
        }
        if (body !== null && op.body !== null) headers.set('content-type', op.body.contentType);
        const target = `${base}${path}${query.size > 0 ? `?${query}` : ''}`;
        const started = performance.now();
        const res = await trackProgress(fetch(`/gateway${target}`, { method: op.method, headers, body: body === null ? undefined : body.value, credentials: 'omit', redirect: 'manual' }));
        const text = await res.text();
        const ms = Math.round(performance.now() - started);
        let pretty = text;
        try {
          pretty = JSON.stringify(JSON.parse(text), null, 2);
        } catch {
          /* not JSON: shown as it came */
        }
        const shownHeaders = [...res.headers].filter(([k]) => /^(content-type|ratelimit|retry-after|www-authenticate|x-request-id)/.test(k));
        const authHeader = cred.value === '' ? '' : cred.mode === 'bearer' ? ` -H 'Authorization: Bearer ${cred.value}'` : ` -H '${cred.header || 'apikey'}: ${cred.value}'`;
        mount(
          result,
          h('p', { class: `status-line ${res.ok ? 'ok' : 'error-text'}`, 'data-status': String(res.status) }, `${res.status} ${res.statusText} · ${ms} ms`),
          shownHeaders.length === 0 ? null : h('pre', { class: 'headers' }, shownHeaders.map(([k, v]) => `${k}: ${v}`).join('\n')),
          h('pre', { class: 'curl response-body' }, pretty === '' ? '(empty body)' : pretty),
          h('details', {}, h('summary', {}, 'The same call with curl'), codeBlock(`curl -X ${op.method}${authHeader}${body === null ? '' : ` -H 'content-type: ${op.body?.contentType ?? ''}' --data '${body.value.replace(/'/g, "'\\''")}'`} '${gatewayUrl}${target}'`)),
        );
      } catch (err) {
        mount(result, h('p', { class: 'error', role: 'alert' }, `The request failed: ${err instanceof Error ? err.message : String(err)}`));
      } finally {
        send.disabled = false;
      }
    })();
  });
  return form;
}

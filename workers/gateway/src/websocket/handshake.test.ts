import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../shared/problem.ts';
import { DEFAULT_STREAMING } from '../../../shared/revision.ts';
import { CLOSE, closeReason, relayedCloseCode } from './close-codes.ts';
import { handshakeCredentials, webSocketHandshake } from './handshake.ts';

const api = { name: 'Chat', version: 'v1', streaming: DEFAULT_STREAMING };
const handshake = (headers: Record<string, string> = {}, url = 'https://gw.example/chat/v1/room') =>
  new Request(url, { headers: { upgrade: 'websocket', connection: 'Upgrade', ...headers } });
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof ApiError ? err : null;
  }
  return null;
};

describe('WebSocket handshake credentials', () => {
  it('answers anything but a WebSocket handshake on a WS API with 426 naming the upgrade', () => {
    const err = refusal(() => webSocketHandshake(new Request('https://gw.example/chat/v1/room'), '', api));
    expect(err?.code).toBe('upgrade-required');
    expect(err?.options.headers?.upgrade).toBe('websocket');
    expect(refusal(() => webSocketHandshake(handshake(), '', api))).toBeNull();
  });

  it('moves a bearer. subprotocol into Authorization and offers the backend only the other protocols', () => {
    const got = handshakeCredentials(
      handshake({ 'sec-websocket-protocol': 'chat, bearer.eyJ.a-b_c.d, graphql-ws' }),
      '',
      DEFAULT_STREAMING,
    );
    expect(got.headers.get('authorization')).toBe('Bearer eyJ.a-b_c.d');
    expect(got.headers.has('sec-websocket-protocol')).toBe(false);
    expect(got.protocols).toEqual(['chat', 'graphql-ws']);
  });

  it('takes turnpike.bearer out of the offer and keeps it to select back, with or without a token beside it', () => {
    const got = handshakeCredentials(handshake({ 'sec-websocket-protocol': 'bearer.eyJ.a.b, turnpike.bearer' }), '', DEFAULT_STREAMING);
    expect(got.headers.get('authorization')).toBe('Bearer eyJ.a.b');
    expect(got.protocols).toEqual([]);
    expect(got.fallbackProtocol).toBe('turnpike.bearer');
    const alone = handshakeCredentials(handshake({ 'sec-websocket-protocol': 'turnpike.bearer, chat' }), '', DEFAULT_STREAMING);
    expect(alone.headers.get('sec-websocket-protocol')).toBe('chat');
    expect(alone.protocols).toEqual(['chat']);
    expect(handshakeCredentials(handshake({ 'sec-websocket-protocol': 'bearer.t' }), '', DEFAULT_STREAMING).fallbackProtocol).toBeNull();
  });

  it('leaves the query token alone (for the credential check to refuse) unless the publisher allows it', () => {
    const refusedHere = handshakeCredentials(handshake(), '?access_token=t1&room=2', DEFAULT_STREAMING);
    expect(refusedHere.search).toBe('?access_token=t1&room=2');
    expect(refusedHere.headers.has('authorization')).toBe(false);
    const allowed = handshakeCredentials(handshake(), '?access_token=t1&room=2', { ...DEFAULT_STREAMING, allowQueryToken: true });
    expect(allowed.headers.get('authorization')).toBe('Bearer t1');
    expect(allowed.search).toBe('?room=2');
  });

  it('refuses a token sent twice: Authorization and a subprotocol, or two subprotocols', () => {
    expect(
      refusal(() =>
        handshakeCredentials(handshake({ authorization: 'Bearer a', 'sec-websocket-protocol': 'bearer.b' }), '', DEFAULT_STREAMING),
      )?.code,
    ).toBe('invalid-request');
    expect(
      refusal(() => handshakeCredentials(handshake({ 'sec-websocket-protocol': 'bearer.a, bearer.b' }), '', DEFAULT_STREAMING))?.code,
    ).toBe('invalid-request');
    expect(
      refusal(() =>
        handshakeCredentials(handshake({ 'sec-websocket-protocol': 'bearer.a' }), '?access_token=b', {
          ...DEFAULT_STREAMING,
          allowQueryToken: true,
        }),
      )?.code,
    ).toBe('invalid-request');
  });
});

describe('WebSocket close codes', () => {
  it('relays a peer close code that may be sent, and replaces 1005, 1006 and codes outside the sendable ranges', () => {
    expect(relayedCloseCode(1000)).toBe(1000);
    expect(relayedCloseCode(4123)).toBe(4123);
    expect(relayedCloseCode(1005)).toBe(CLOSE.normal);
    expect(relayedCloseCode(1006)).toBe(CLOSE.backendError);
    expect(relayedCloseCode(2999)).toBe(CLOSE.backendError);
  });

  it('cuts a close reason to the 123 bytes a close frame can carry, on a character boundary', () => {
    const reason = closeReason('é'.repeat(100));
    expect(new TextEncoder().encode(reason).byteLength).toBeLessThanOrEqual(123);
    expect(reason).not.toContain('\uFFFD');
  });
});

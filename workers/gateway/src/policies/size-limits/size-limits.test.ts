import { beforeAll, describe, expect, it } from 'vitest';
import { api, call, deploy, resource, signingKey, type Echo } from '../../test-support.ts';

const limits = (config: Record<string, number>) => [{ name: 'size-limits', config }];

beforeAll(async () => {
  await deploy(
    [
      api({
        id: 'api_sized',
        context: '/sized',
        policies: limits({ requestBytes: 64, responseBytes: 2000 }),
        resources: [
          resource('POST', '/upload', { authType: 'none' }),
          resource('GET', '/drip/{ms}/{n}', { authType: 'none' }),
          resource('GET', '/small-answers', { authType: 'none', policies: limits({ responseBytes: 100 }) }),
        ],
      }),
      api({
        id: 'api_sized_stream',
        context: '/sized-stream',
        policies: limits({ responseBytes: 20 }),
        resources: [resource('GET', '/drip/{ms}/{n}', { authType: 'none' })],
      }),
    ],
    [await signingKey('k1')],
  );
});

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  return (await res.json()) as { status: number; detail?: string };
}

/** A body without Content-Length (sent chunked), as a client streaming an upload sends it. */
function chunked(text: string): RequestInit {
  const bytes = new TextEncoder().encode(text);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 16) controller.enqueue(bytes.slice(i, i + 16));
      controller.close();
    },
  });
  return { method: 'POST', body, duplex: 'half' } as RequestInit;
}

describe('size-limits policy', () => {
  it('refuses a request body above the limit by its Content-Length with 413, before the backend', async () => {
    const res = await call('/sized/v1/upload', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(65) });
    expect(res.status).toBe(413);
    expect(res.headers.get('x-backend')).toBeNull();
    expect((await problem(res)).detail).toContain('64 bytes');
  });

  it('refuses a chunked request body once it passes the limit, and forwards a chunked body within it byte for byte', async () => {
    const over = await call('/sized/v1/upload', chunked('y'.repeat(100)));
    expect(over.status).toBe(413);
    expect(over.headers.get('x-backend')).toBeNull();
    const within = await call('/sized/v1/upload', chunked('z'.repeat(64)));
    expect(within.status).toBe(200);
    expect(((await within.json()) as Echo).body).toBe('z'.repeat(64));
  });

  it('relays a backend response within the limit and answers 502 problem+json for one above it, declared or streamed', async () => {
    expect((await call('/sized/v1/upload', { method: 'POST', body: 'ok' })).status).toBe(200);
    const declared = await call('/sized/v1/small-answers');
    expect(declared.status).toBe(502);
    expect((await problem(declared)).detail).toContain('100 bytes');
    const streamedSmall = await call('/sized/v1/drip/1/30');
    expect(streamedSmall.status).toBe(200);
    expect(await streamedSmall.text()).toBe('.'.repeat(30));
    const streamedLarge = await call('/sized-stream/v1/drip/1/30');
    expect(streamedLarge.status).toBe(502);
    expect((await problem(streamedLarge)).detail).toContain('20 bytes');
  });
});

import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { ApiError, problemResponse } from '../../../shared/problem.ts';
import { throttleNamespace } from './bindings.ts';

/** A THROTTLE namespace whose every call fails as a call to a stopped process does. */
function unreachableNamespace(failure: Error & { remote?: boolean }, calls: { n: number }) {
  const stub = new Proxy({}, { get: (_t, prop) => (prop === 'then' ? undefined : () => (calls.n++, Promise.reject(failure))) });
  return { ...env, THROTTLE: { getByName: () => stub, idFromName: () => ({}), get: () => stub } } as unknown as Env;
}

describe('counter object calls across processes', () => {
  it('answers 503 problem+json with Retry-After, after one more try, when the Traffic Manager cannot be reached', async () => {
    const calls = { n: 0 };
    const namespace = throttleNamespace(unreachableNamespace(new Error('Network connection lost.'), calls));
    const error = await namespace
      .getByName('sub:x')
      .inspect()
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(calls.n).toBe(2);
    expect(error).toBeInstanceOf(ApiError);
    const res = problemResponse(error as ApiError);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('retry-after')).toBe('2');
  });

  it('keeps an exception the object itself threw as it is (a bug is not an outage)', async () => {
    const calls = { n: 0 };
    const thrown = Object.assign(new Error('boom'), { remote: true });
    const namespace = throttleNamespace(unreachableNamespace(thrown, calls));
    const error = await namespace
      .getByName('sub:x')
      .inspect()
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(calls.n).toBe(1);
    expect(error).toBe(thrown);
  });
});

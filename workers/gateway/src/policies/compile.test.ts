import { describe, expect, it } from 'vitest';
import { api, call, deploy, resource, signingKey } from '../test-support.ts';
import { compileSteps } from './compile.ts';

describe('policy steps', () => {
  it('builds one ordered step list per resource once per snapshot, the API policies before the operation policies', () => {
    const edits = (value: string) => ({ name: 'header-edits', config: { request: { set: { 'x-order': value } } } });
    const target = api({
      id: 'api_order',
      context: '/order',
      policies: [edits('api')],
      resources: [resource('GET', '/a', { policies: [edits('operation')] }), resource('GET', '/b')],
    });
    const steps = compileSteps({
      version: 1,
      environment: 'production',
      compiledAt: 0,
      issuer: 'i',
      audience: 'a',
      jwks: [],
      allowPrivateBackends: true,
      apis: [target],
    });
    const [a, b] = target.resources;
    const run = (r: typeof a) => {
      const call = {
        request: new Request('http://x.test/'),
        search: '',
        rest: '/a',
        extraHeaders: {} as Record<string, string>,
        headers: new Headers(),
        body: null,
        caller: null,
        waitUntil: () => undefined,
        counters: [],
        operation: null,
      };
      for (const step of (r === undefined ? undefined : steps.get(r))?.inbound ?? []) void step(call);
      return call.extraHeaders['x-order'];
    };
    expect(run(a)).toBe('operation');
    expect(run(b)).toBe('api');
  });

  it('answers 500 on a resource whose policy this gateway does not know, rather than serving it without the policy', async () => {
    await deploy(
      [
        api({
          id: 'api_unknown_policy',
          context: '/unknown-policy',
          resources: [resource('GET', '/open', { authType: 'none', policies: [{ name: 'from-the-future', config: {} }] })],
        }),
      ],
      [await signingKey('k1')],
    );
    const res = await call('/unknown-policy/v1/open');
    expect(res.status).toBe(500);
    expect(res.headers.get('x-backend')).toBeNull();
  });
});

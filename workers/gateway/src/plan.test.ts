import { createExecutionContext, env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GatewaySnapshot } from '../../shared/snapshot.ts';
import { compilePlan } from './plan.ts';
import { headerEdits } from './policies/header-edits/index.ts';
import { currentSnapshot } from './snapshot/store.ts';
import { api, call, deploy, resource, signingKey } from './test-support.ts';

const snapshotOf = (apis: GatewaySnapshot['apis'], extras: Partial<GatewaySnapshot> = {}): GatewaySnapshot => ({
  version: 1,
  environment: 'production',
  compiledAt: 0,
  issuer: 'i',
  audience: 'a',
  jwks: [],
  allowPrivateBackends: true,
  apis,
  ...extras,
});
const names = (steps: readonly { name: string }[] | undefined) => steps?.map((s) => s.name);

describe('call plan', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('runs the checks in the fixed order: CORS and blocking per API, then authentication, the policies and throttling, and backend JWT and backend security only for a call that goes to the backend', () => {
    const full = api({
      id: 'api_full',
      context: '/full',
      backendJwt: true,
      cors: {
        enabled: true,
        allowOrigins: ['*'],
        allowMethods: ['GET'],
        allowHeaders: [],
        exposeHeaders: [],
        allowCredentials: false,
        maxAgeSeconds: 60,
      },
      headerEdits: { request: { set: { 'x-a': '1' }, remove: [] }, response: { set: { 'x-b': '2' }, remove: [] } },
      endpoints: {
        PRODUCTION: { strategy: 'single', urls: [{ url: 'http://backend.test', timeoutMs: 1000 }], suspendSeconds: 30, security: 'sealed' },
      },
      resources: [resource('GET', '/pets')],
    });
    const plan = compilePlan(snapshotOf([full], { blocking: { apiContexts: [], applicationIds: [], users: [], ips: [] } }));
    expect(names(plan.apis.get(full))).toEqual(['cors_', 'blocking_']);
    const pets = full.resources[0];
    expect(names(pets === undefined ? undefined : plan.resources.get(pets)?.inbound)).toEqual(['authenticate_', 'inbound', 'throttle_']);
    expect(names(pets === undefined ? undefined : plan.resources.get(pets)?.backend)).toEqual(['backendJwt_', 'backendSecurity_']);
    expect(pets === undefined ? undefined : plan.resources.get(pets)?.outbound).toHaveLength(1);
  });

  it('leaves out the steps a call cannot need: an open resource of an API without CORS, blocking or endpoint security is throttled and proxied, nothing else', () => {
    const open = api({ id: 'api_bare', context: '/bare', backendJwt: true, resources: [resource('GET', '/open', { authType: 'none' })] });
    const plan = compilePlan(snapshotOf([open]));
    expect(plan.apis.get(open)).toEqual([]);
    const only = open.resources[0];
    expect(names(only === undefined ? undefined : plan.resources.get(only)?.inbound)).toEqual(['throttleOpen_']);
    expect(only === undefined ? undefined : plan.resources.get(only)?.backend).toEqual([]);
  });

  it("keeps each API's resource path (context/version) in the plan, so a call reads it rather than building it", () => {
    const a = api({ id: 'api_path', context: '/shelf' });
    const b = api({ id: 'api_path2', context: '/shelf', version: 'v2' });
    const plan = compilePlan(snapshotOf([a, b]));
    expect(plan.paths.get(a)).toBe('/shelf/v1');
    expect(plan.paths.get(b)).toBe('/shelf/v2');
  });

  it('builds the steps once per snapshot version: many calls reuse one plan, a new version builds a new one', async () => {
    const build = vi.spyOn(headerEdits, 'build');
    const edited = () => [
      api({
        id: 'api_once',
        context: '/once',
        headerEdits: { request: { set: { 'x-once': 'yes' }, remove: [] }, response: { set: {}, remove: [] } },
        resources: [resource('GET', '/open', { authType: 'none' })],
      }),
    ];
    await deploy(edited(), [await signingKey('k1')]);
    for (let i = 0; i < 5; i++) expect((await call('/once/v1/open')).status).toBe(200);
    expect(build).toHaveBeenCalledTimes(1);
    const ctx = createExecutionContext();
    const first = (await currentSnapshot(env, (p) => ctx.waitUntil(p)))?.plan;
    expect((await currentSnapshot(env, (p) => ctx.waitUntil(p)))?.plan).toBe(first);

    await deploy(edited(), [await signingKey('k1')]);
    for (let i = 0; i < 3; i++) expect((await call('/once/v1/open')).status).toBe(200);
    expect(build).toHaveBeenCalledTimes(2);
    expect((await currentSnapshot(env, (p) => ctx.waitUntil(p)))?.plan).not.toBe(first);
  });
});

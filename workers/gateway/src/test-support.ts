/** Test fixtures for the gateway: a Key Manager stand-in key, snapshots written to D1, tokens. */
import { counterNamespace } from '../../../durable-objects/throttle/binding.ts';
import { createExecutionContext, env } from 'cloudflare:test';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey as JoseKey } from 'jose';
import { subscriptionObjectName, type SubscriptionState, type WindowLimit } from '../../../durable-objects/throttle/types.ts';
import type { GatewaySnapshot, PublicJwk, SnapshotApi, SnapshotResource } from '../../shared/snapshot.ts';
import { createGatewayApp } from './app.ts';
import { invalidateSnapshot } from './snapshot/store.ts';

export const ISSUER = 'http://key-manager.test';
export const AUDIENCE = 'turnpike-gateway';

export interface SigningKey {
  kid: string;
  privateKey: JoseKey;
  publicJwk: PublicJwk;
}

export async function signingKey(kid = 'k1'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

export function resource(method: string, pathTemplate: string, overrides: Partial<SnapshotResource> = {}): SnapshotResource {
  return { method, pathTemplate, authType: 'oauth2', scopes: [], limits: [], ...overrides };
}

export function api(overrides: Partial<SnapshotApi> & Pick<SnapshotApi, 'id' | 'context'>): SnapshotApi {
  return {
    name: overrides.id,
    version: 'v1',
    isDefaultVersion: false,
    state: 'PUBLISHED',
    revisionId: 'rev_1',
    resources: [resource('GET', '/pets'), resource('POST', '/pets'), resource('GET', '/open', { authType: 'none' })],
    endpoints: { PRODUCTION: { strategy: 'single', urls: [{ url: 'http://backend.test/base', timeoutMs: 5000 }], suspendSeconds: 30 } },
    apiKeyHeader: 'apikey',
    cors: null,
    backendJwt: false,
    headerEdits: null,
    limits: [],
    ...overrides,
  };
}

let version = 1000;

/** Writes a snapshot for the `production` environment and makes the gateway load it next request. */
export async function deploy(
  apis: SnapshotApi[],
  keys: SigningKey[],
  extras: Pick<GatewaySnapshot, 'applicationPolicies' | 'blocking' | 'hostname' | 'customPolicies' | 'keyTypes' | 'keyManagers'> = {},
): Promise<GatewaySnapshot> {
  version++;
  const snapshot: GatewaySnapshot = {
    version,
    environment: 'production',
    compiledAt: Date.now(),
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: keys.map((k) => k.publicJwk),
    allowPrivateBackends: true,
    apis,
    ...extras,
  };
  await env.DB.prepare(
    `INSERT INTO gateway_snapshots (environment_id, version, body) VALUES ('env_production', ?, ?) ON CONFLICT(environment_id) DO UPDATE SET version = excluded.version, body = excluded.body`,
  )
    .bind(version, JSON.stringify(snapshot))
    .run();
  invalidateSnapshot();
  return snapshot;
}

export async function subscribe(
  applicationId: string,
  apiId: string,
  limits: WindowLimit[] = [],
  overrides: Partial<SubscriptionState> = {},
) {
  const stub = counterNamespace(env).getByName(subscriptionObjectName(applicationId, apiId));
  await stub.configure({
    subscriptionId: `sub_${applicationId}`,
    applicationId,
    apiId,
    status: 'UNBLOCKED',
    tier: limits[0]?.policy ?? 'Unlimited',
    limits,
    validAfter: { PRODUCTION: 0, SANDBOX: 0 },
    revokedCredentials: [],
    ...overrides,
  });
  return stub;
}

export interface TokenOptions {
  applicationId: string;
  keyType?: 'PRODUCTION' | 'SANDBOX';
  scope?: string;
  jti?: string;
  expiresIn?: number;
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  issuer?: string;
  audience?: string;
}

export async function token(key: SigningKey, o: TokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    client_id: `ck_${o.applicationId}`,
    application_id: o.applicationId,
    key_type: o.keyType ?? 'PRODUCTION',
    scope: o.scope ?? '',
    application_tier: 'Unlimited',
    ...o.claims,
  })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt', ...o.header })
    .setIssuer(o.issuer ?? ISSUER)
    .setAudience(o.audience ?? AUDIENCE)
    .setSubject(`ck_${o.applicationId}`)
    .setIssuedAt(now)
    .setExpirationTime(now + (o.expiresIn ?? 600))
    .setJti(o.jti ?? crypto.randomUUID())
    .sign(key.privateKey);
}

const app = createGatewayApp();

/**
 * Calls the gateway app and reads the body, as every real client does (the usage report waits for
 * the body to end). Background work (the usage flush, a second later) is left to run on its own.
 */
export async function call(path: string, init: RequestInit = {}, host = 'gateway.test'): Promise<Response> {
  const res = await callStreaming(path, init, host);
  if (res.body === null) return res;
  const body = await res.arrayBuffer();
  return new Response(NULL_BODY_STATUSES.has(res.status) ? null : body, res);
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** Calls the gateway app and hands back its response as it streams. */
export async function callStreaming(path: string, init: RequestInit = {}, host = 'gateway.test'): Promise<Response> {
  return app.fetch(new Request(`http://${host}${path}`, init), env, createExecutionContext());
}

export interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

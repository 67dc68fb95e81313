import { SELF, env } from 'cloudflare:test';
import { decodeProtectedHeader } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ORIGIN,
  api,
  db,
  deployedSnapshot,
  publishedApi,
  userWithRole,
  type TestUser,
} from '../../../../test/workers/control-plane-helpers.ts';
import { basic, oauthClient, postForm, tokenRequest, type OAuthClient } from '../../../../test/workers/oauth-helpers.ts';
import { eq } from 'drizzle-orm';
import { schema } from '../db.ts';
import { retireDueSigningKeys } from './rotation.ts';
import { KEY_SET_MAX_AGE_MS, forgetSigningKeys, retirementDelayMs } from './signing-keys.ts';

interface Key {
  kid: string;
  status: string;
  origin: string;
  publishable: boolean;
  retireAfter: number | null;
}

let admin: TestUser;
let client: OAuthClient;

const jwksKids = async () =>
  ((await (await SELF.fetch(`${ORIGIN}/oauth2/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
const issue = async () => String((await tokenRequest(client, { grant_type: 'client_credentials' })).body?.['access_token']);
const active = async (token: string) =>
  (await postForm('/oauth2/introspect', { token }, { authorization: basic(client) })).body?.['active'];

beforeAll(async () => {
  admin = await userWithRole('admin');
  client = await oauthClient('Rotation client');
  await publishedApi(await userWithRole('publisher'));
});

describe('signing-key rotation', () => {
  it('adopts the SIGNING_KEYS secret’s key as the signing key, shown to admins only', async () => {
    const list = await api<{ list: Key[] }>('GET', '/api/admin/v1/signing-keys', admin);
    expect(list.status).toBe(200);
    expect(list.body.list).toEqual([expect.objectContaining({ kid: 'test-key', status: 'ACTIVE', origin: 'SECRET' })]);
    expect(list.body.list[0]).not.toHaveProperty('privateJwkSealed');
    expect((await api('GET', '/api/admin/v1/signing-keys', await userWithRole('publisher'))).status).toBe(403);
    expect((await api('POST', '/api/admin/v1/signing-keys', null)).status).toBe(401);
  });

  it('publishes an added key in the JWKS and every snapshot before it signs, activates it only after the publish delay, then signs with it while the old key still verifies', async () => {
    const before = await issue();
    const added = await api<Key>('POST', '/api/admin/v1/signing-keys', admin);
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ status: 'PUBLISHED', origin: 'GENERATED', publishable: false });
    const kid = added.body.kid;
    expect(await jwksKids()).toEqual(['test-key', kid]);
    expect((await deployedSnapshot()).jwks.map((k) => k.kid)).toEqual(['test-key', kid]);
    expect(decodeProtectedHeader(await issue()).kid).toBe('test-key');

    // Verifiers may still hold the key set without it: too early to sign.
    const early = await api<{ detail: string }>('POST', `/api/admin/v1/signing-keys/${kid}/activate`, admin);
    expect(early.status).toBe(409);
    expect(early.body.detail).toContain('may not know it before');

    await db
      .update(schema.signingKeys)
      .set({ createdAt: Date.now() - Number(env.SIGNING_KEY_PUBLISH_SECONDS) * 1000 - 1 })
      .where(eq(schema.signingKeys.kid, kid));
    const activated = await api<Key>('POST', `/api/admin/v1/signing-keys/${kid}/activate`, admin);
    expect(activated.status).toBe(200);
    expect(activated.body.status).toBe('ACTIVE');
    const after = await issue();
    expect(decodeProtectedHeader(after).kid).toBe(kid);
    expect(await active(before)).toBe(true);
    expect(await active(after)).toBe(true);

    const old = (await api<{ list: Key[] }>('GET', '/api/admin/v1/signing-keys', admin)).body.list.find((k) => k.kid === 'test-key');
    expect(old?.status).toBe('PREVIOUS');
    expect(old?.retireAfter).toBeGreaterThanOrEqual(Date.now() + Number(env.ACCESS_TOKEN_TTL_SECONDS) * 1000);
    // The signing key itself cannot retire, and the previous one not before its tokens expire.
    expect((await api('POST', `/api/admin/v1/signing-keys/${kid}/retire`, admin, {})).status).toBe(409);
    expect((await api('POST', '/api/admin/v1/signing-keys/test-key/retire', admin, {})).status).toBe(409);

    // The cron, once every token the old key signed has expired: out of the JWKS and the snapshots.
    expect(await retireDueSigningKeys(env, db, Date.now())).toEqual([]);
    expect(await retireDueSigningKeys(env, db, Date.now() + retirementDelayMs(env) + KEY_SET_MAX_AGE_MS)).toEqual(['test-key']);
    expect(await jwksKids()).toEqual([kid]);
    expect((await deployedSnapshot()).jwks.map((k) => k.kid)).toEqual([kid]);
    const retired = (await db.select().from(schema.signingKeys).where(eq(schema.signingKeys.kid, 'test-key')))[0];
    expect(retired).toMatchObject({ status: 'RETIRED', privateJwkSealed: null });
    expect(await active(before)).toBe(false);
    expect(await active(after)).toBe(true);
  });

  it('retires a previous key at once when the admin says so, refusing what it signed', async () => {
    const signedByCurrent = await issue();
    const current = decodeProtectedHeader(signedByCurrent).kid ?? '';
    const next = await api<Key>('POST', '/api/admin/v1/signing-keys', admin);
    await db.update(schema.signingKeys).set({ createdAt: 0 }).where(eq(schema.signingKeys.kid, next.body.kid));
    expect((await api('POST', `/api/admin/v1/signing-keys/${next.body.kid}/activate`, admin)).status).toBe(200);
    const leaked = await api<Key>('POST', `/api/admin/v1/signing-keys/${current}/retire`, admin, { immediately: true });
    expect(leaked.status).toBe(200);
    expect(leaked.body.status).toBe('RETIRED');
    expect(await active(signedByCurrent)).toBe(false);
    expect((await deployedSnapshot()).jwks.map((k) => k.kid)).toEqual([next.body.kid]);
    // A retired key never comes back, not even from the secret.
    forgetSigningKeys();
    expect(await jwksKids()).not.toContain('test-key');
    expect((await api('POST', `/api/admin/v1/signing-keys/${current}/activate`, admin)).status).toBe(409);
  });
});

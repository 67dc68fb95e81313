import { eq } from 'drizzle-orm';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, db, userWithRole, type ProblemBody, type TestUser } from '../../../../../test/workers/control-plane-helpers.ts';
import { newId } from '../../../../shared/ids.ts';
import { schema } from '../../db.ts';

/**
 * Client registration at an external key manager from the application page (RFC 7591), against a
 * fake registration endpoint behind the Worker's outbound fetch that, like a real one, accepts only
 * the admin's initial access token.
 */
const IDP = 'https://idp.dcr.test';
const TOKEN = 'initial-access-token-0123456789';
const registrations: Array<{ authorization: string | null; body: Record<string, unknown> }> = [];
let issued = 0;

const realFetch = globalThis.fetch;
async function provider(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : input.toString());
  if (url.origin !== IDP) return realFetch(input, init);
  if (url.pathname !== '/reg' || init?.method !== 'POST') return new Response('not found', { status: 404 });
  const authorization = new Headers(init.headers).get('authorization');
  const body = JSON.parse(String(init.body)) as Record<string, unknown>;
  registrations.push({ authorization, body });
  if (authorization !== `Bearer ${TOKEN}`) return Response.json({ error: 'invalid_token' }, { status: 401 });
  issued++;
  return Response.json(
    { client_id: `dcr-client-${issued}`, client_secret: `dcr-secret-${issued}`, client_secret_expires_at: 0, ...body },
    { status: 201 },
  );
}

const kmName = `dcr-${Math.random().toString(36).slice(2, 8)}`;
let admin: TestUser;
let developer: TestUser;
let keyManagerId: string;
let applicationId: string;

beforeAll(async () => {
  admin = await userWithRole('admin');
  developer = await userWithRole('developer');
  keyManagerId = newId('keyManager');
  await db.insert(schema.keyManagers).values({
    id: keyManagerId,
    name: kmName,
    displayName: 'DCR IdP',
    discoveryUrl: `${IDP}/.well-known/openid-configuration`,
    issuer: IDP,
    jwksUri: `${IDP}/jwks`,
    tokenEndpoint: `${IDP}/token`,
    registrationEndpoint: `${IDP}/reg`,
    audience: 'https://api.example',
  });
  const made = await api<{ id: string }>('POST', '/api/devportal/v1/applications', developer, { name: `DCR app ${kmName}` });
  expect(made.status).toBe(201);
  applicationId = made.body.id;
});

beforeEach(() => {
  vi.spyOn(globalThis, 'fetch').mockImplementation(provider);
  registrations.length = 0;
});

afterEach(() => {
  vi.restoreAllMocks();
});

const register = (user: TestUser, body: Record<string, unknown> = { keyManager: kmName }) =>
  api<Record<string, unknown>>('POST', `/api/devportal/v1/applications/${applicationId}/external-clients/register`, user, body);

describe('client registration at an external key manager (RFC 7591)', () => {
  it('is not offered until an admin gives the provider’s initial access token', async () => {
    const res = await register(developer);
    expect(res.status).toBe(400);
    expect(registrations).toHaveLength(0);
    const choices = await api<{ list: Array<{ name: string | null; canRegister: boolean }> }>(
      'GET',
      `/api/devportal/v1/applications/${applicationId}/key-managers`,
      developer,
    );
    expect(choices.body.list.find((k) => k.name === kmName)?.canRegister).toBe(false);
  });

  it('registers a confidential client with the initial access token and maps it to the application, the secret shown once', async () => {
    const set = await api('PUT', `/api/admin/v1/key-managers/${keyManagerId}/registration`, admin, { initialAccessToken: TOKEN });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ hasRegistrationAccessToken: true });
    const row = (await db.select().from(schema.keyManagers).where(eq(schema.keyManagers.id, keyManagerId)))[0];
    expect(row?.registrationAccessToken).toMatch(/^v1\./);
    expect(row?.registrationAccessToken).not.toContain(TOKEN);

    const res = await register(developer, { keyManager: kmName, keyType: 'SANDBOX' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      clientId: 'dcr-client-1',
      clientSecret: 'dcr-secret-1',
      mapping: { keyManager: kmName, keyType: 'SANDBOX' },
    });
    expect(registrations[0]?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(registrations[0]?.body).toMatchObject({
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    const mapped = await db.select().from(schema.externalClients).where(eq(schema.externalClients.applicationId, applicationId));
    expect(mapped.map((m) => [m.clientId, m.keyType])).toEqual([['dcr-client-1', 'SANDBOX']]);
    expect(JSON.stringify(mapped)).not.toContain('dcr-secret');
  });

  it('answers 502 naming the provider’s refusal when it does not take the initial access token', async () => {
    await api('PUT', `/api/admin/v1/key-managers/${keyManagerId}/registration`, admin, { initialAccessToken: 'stale-token' });
    const res = await register(developer);
    expect(res.status).toBe(502);
    expect((res.body as unknown as ProblemBody).detail).toContain('401 invalid_token');
    await api('PUT', `/api/admin/v1/key-managers/${keyManagerId}/registration`, admin, { initialAccessToken: TOKEN });
  });

  it('registers nothing for another developer’s application (404) or a publisher (403)', async () => {
    const other = await userWithRole('developer');
    expect((await register(other)).status).toBe(404);
    expect((await register(await userWithRole('publisher'))).status).toBe(403);
    expect(registrations).toHaveLength(0);
  });

  it('lets only an admin set the initial access token', async () => {
    const res = await api('PUT', `/api/admin/v1/key-managers/${keyManagerId}/registration`, developer, { initialAccessToken: 'x' });
    expect(res.status).toBe(403);
  });
});

describe('the key-manager choice of an application', () => {
  it('lists Turnpike first for every subscribed API, then each external key manager with the subscribed APIs that accept it', async () => {
    const publisher = await userWithRole('publisher');
    const apiFor = async (name: string, keyManagers: string[]) => {
      const id = newId('api');
      await db.insert(schema.apis).values({ id, name, context: `/${id}`, version: 'v1', providerId: publisher.id, keyManagers });
      await db.insert(schema.subscriptions).values({ id: newId('subscription'), applicationId, apiId: id, tier: 'Gold' });
    };
    await apiFor('Accepting', [kmName]);
    await apiFor('Own only', []);
    const res = await api<{ list: Array<{ name: string | null; acceptedBy: string[]; canRegister: boolean; canMap: boolean }> }>(
      'GET',
      `/api/devportal/v1/applications/${applicationId}/key-managers`,
      developer,
    );
    expect(res.status).toBe(200);
    expect(res.body.list[0]).toMatchObject({ name: null, displayName: 'Turnpike' });
    expect(res.body.list[0]?.acceptedBy.sort()).toEqual(['Accepting v1', 'Own only v1']);
    expect(res.body.list.find((k) => k.name === kmName)).toMatchObject({ acceptedBy: ['Accepting v1'], canRegister: true, canMap: true });
  });
});

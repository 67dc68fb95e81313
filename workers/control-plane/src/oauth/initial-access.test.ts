import { SELF } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, api, db, userWithRole, type TestUser } from '../../../../test/workers/control-plane-helpers.ts';
import { postForm } from '../../../../test/workers/oauth-helpers.ts';
import { schema } from '../db.ts';

/** Turnpike's own dynamic client registration with an admin-issued initial access token (decision 0052's admin policy). */
let admin: TestUser;
let developer: TestUser;

const register = async (
  token: string | null,
  metadata: Record<string, unknown> = { grant_types: ['client_credentials'], client_name: 'Partner' },
) => {
  const res = await SELF.fetch(`${ORIGIN}/oauth2/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(metadata),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const issue = (body: Record<string, unknown>, user: TestUser = admin) =>
  api<{ token: string; id: string; uses: number; maxUses: number }>('POST', '/api/admin/v1/registration-tokens', user, body);

beforeAll(async () => {
  admin = await userWithRole('admin');
  developer = await userWithRole('developer');
});

describe('initial access tokens an admin issues for dynamic client registration', () => {
  it('registers clients owned by the named developer, as many times as allowed and no more', async () => {
    const issued = await issue({ ownerEmail: developer.email, maxUses: 2 });
    expect(issued.status).toBe(201);
    expect(issued.body.token).toMatch(/^tpi_/);
    const first = await register(issued.body.token);
    expect(first.status).toBe(201);
    const second = await register(issued.body.token);
    expect(second.status).toBe(201);
    const third = await register(issued.body.token);
    expect(third.status).toBe(401);
    expect(third.body['error']).toBe('invalid_token');

    const apps = await api<{ list: Array<{ id: string }> }>('GET', '/api/devportal/v1/applications', developer);
    expect(apps.body.list.map((a) => a.id)).toEqual(expect.arrayContaining([first.body['application_id'], second.body['application_id']]));
    const token = await postForm('/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: String(first.body['client_id']),
      client_secret: String(first.body['client_secret']),
    });
    expect(token.status).toBe(200);
    const stored = await db.select().from(schema.registrationTokens).where(eq(schema.registrationTokens.id, issued.body.id));
    expect(stored[0]?.uses).toBe(2);
    expect(JSON.stringify(stored)).not.toContain(issued.body.token);
  });

  it('refuses an expired or revoked token, and keeps refusing without any token', async () => {
    const expiring = await issue({ ownerEmail: developer.email });
    await db
      .update(schema.registrationTokens)
      .set({ expiresAt: Date.now() - 1 })
      .where(eq(schema.registrationTokens.id, expiring.body.id));
    expect((await register(expiring.body.token)).status).toBe(401);
    const revoked = await issue({ ownerEmail: developer.email });
    expect((await api('DELETE', `/api/admin/v1/registration-tokens/${revoked.body.id}`, admin)).status).toBe(204);
    expect((await register(revoked.body.token)).status).toBe(401);
    expect((await register(null)).status).toBe(401);
    expect((await register('tpi_forged')).status).toBe(401);
  });

  it('is issued only by an admin, only for an active developer', async () => {
    expect((await issue({ ownerEmail: developer.email }, developer)).status).toBe(403);
    const publisher = await userWithRole('publisher');
    expect((await issue({ ownerEmail: publisher.email })).status).toBe(400);
    expect((await issue({ ownerEmail: 'nobody@example.com' })).status).toBe(400);
  });

  it('stops registering once its developer is disabled', async () => {
    const partner = await userWithRole('developer');
    const issued = await issue({ ownerEmail: partner.email, maxUses: 5 });
    await db.update(schema.users).set({ status: 'DISABLED' }).where(eq(schema.users.id, partner.id));
    expect((await register(issued.body.token)).status).toBe(403);
  });
});

import { SELF } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ORIGIN, PASSWORD, api, db, userWithRole, type ProblemBody } from '../../../../test/workers/control-plane-helpers.ts';
import { schema } from '../db.ts';

const login = (email: string, password: string) =>
  SELF.fetch(`${ORIGIN}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });

describe('account', () => {
  it('answers an anonymous session with user null and no scopes (200, not 401), and a signed-in one with the user', async () => {
    const anonymous = await api<{ user: unknown; scopes: string[] }>('GET', '/api/auth/session', null);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toEqual({ user: null, scopes: [] });
    const dev = await userWithRole('developer');
    const signedIn = await api<{ user: { email: string } | null; scopes: string[] }>('GET', '/api/auth/session', dev);
    expect(signedIn.body.user?.email).toBe(dev.email);
    expect(signedIn.body.scopes).toContain('apps:manage');
  });

  it('renames the signed-in user, with the field at fault for an empty name', async () => {
    const dev = await userWithRole('developer');
    const renamed = await api<{ user: { displayName: string } }>('PATCH', '/api/auth/me', dev, { displayName: '  Ada  ' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.user.displayName).toBe('Ada');
    expect((await api<{ user: { displayName: string } }>('GET', '/api/auth/me', dev)).body.user.displayName).toBe('Ada');
    const empty = await api<ProblemBody>('PATCH', '/api/auth/me', dev, { displayName: ' ', role: 'admin' });
    expect(empty.status).toBe(400);
    expect(empty.body.errors?.map((e) => e.pointer)).toEqual(expect.arrayContaining(['/displayName']));
    expect((await api('PATCH', '/api/auth/me', null, { displayName: 'X' })).status).toBe(401);
  });

  it('changes the password only with the current one, ends every other session, and keeps this one', async () => {
    const dev = await userWithRole('developer');
    const other = await login(dev.email, PASSWORD);
    const otherSession = { ...dev, cookie: (other.headers.get('set-cookie') ?? '').split(';')[0] ?? '' };
    expect((await api('GET', '/api/auth/me', otherSession)).status).toBe(200);

    const wrong = await api<ProblemBody>('POST', '/api/auth/me/password', dev, {
      currentPassword: 'not it',
      newPassword: 'a brand new passphrase',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual([expect.objectContaining({ pointer: '/currentPassword' })]);
    const short = await api<ProblemBody>('POST', '/api/auth/me/password', dev, { currentPassword: PASSWORD, newPassword: 'short' });
    expect(short.body.errors?.map((e) => e.pointer)).toEqual(['/newPassword']);
    const before = (await db.select().from(schema.users).where(eq(schema.users.id, dev.id)))[0]?.passwordHash;

    expect(
      (await api('POST', '/api/auth/me/password', dev, { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' })).status,
    ).toBe(204);
    const after = (await db.select().from(schema.users).where(eq(schema.users.id, dev.id)))[0]?.passwordHash;
    expect(after).not.toBe(before);
    expect(after).not.toContain('a brand new passphrase');
    expect((await api('GET', '/api/auth/me', dev)).status).toBe(200);
    expect((await api('GET', '/api/auth/me', otherSession)).status).toBe(401);
    expect((await login(dev.email, PASSWORD)).status).toBe(401);
    expect((await login(dev.email, 'a brand new passphrase')).status).toBe(200);
    const audit = await db.select().from(schema.auditLog).where(eq(schema.auditLog.entityId, dev.id));
    expect(audit.map((a) => a.action)).toContain('user.password');
  });
});

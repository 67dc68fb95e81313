import { SELF } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { ORIGIN, PASSWORD, api, db, userWithRole, type ProblemBody } from '../../../../test/workers/control-plane-helpers.ts';
import { linkIn, mailsTo } from '../../../../test/workers/mailbox.ts';
import { schema } from '../db.ts';

const login = (email: string, password: string) =>
  SELF.fetch(`${ORIGIN}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
const fresh = () => `dev-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
/** The mails to `to` once `count` have arrived (they leave after the answer). */
const mails = (to: string, count = 1) =>
  vi.waitFor(async () => {
    const list = await mailsTo(to);
    expect(list.length).toBeGreaterThanOrEqual(count);
    return list;
  });

describe('sign-up with email verification', () => {
  it('mails a single-use link, stored only as a hash, and opens the account only when it is followed', async () => {
    const email = fresh();
    const signup = await api<{ status: string }>('POST', '/api/devportal/v1/signup', null, {
      email,
      password: 'correct horse battery',
      displayName: 'Dev',
    });
    expect(signup.status).toBe(202);
    expect(signup.body.status).toBe('MAIL_SENT');
    const [mail] = await mails(email);
    expect(mail?.headers['subject']).toMatch(/Confirm your email address/);
    expect(mail?.headers['content-type']).toBe('text/plain; charset=utf-8');
    const link = linkIn(mail, 'verify');
    expect(link?.url).toMatch(/^http:\/\/127\.0\.0\.1:8789\/#\/verify\/tpv_/);
    const token = link?.token ?? '';
    const stored = await db.select().from(schema.accountTokens);
    expect(JSON.stringify(stored)).not.toContain(token);
    const before = await login(email, 'correct horse battery');
    expect(before.status).toBe(401);
    expect(((await before.json()) as ProblemBody).detail).toMatch(/Confirm your email address/);

    const verified = await api<{ status: string }>('POST', '/api/auth/verify-email', null, { token });
    expect(verified.status).toBe(200);
    expect(verified.body.status).toBe('ACTIVE');
    expect((await login(email, 'correct horse battery')).status).toBe(200);
    const again = await api<ProblemBody>('POST', '/api/auth/verify-email', null, { token });
    expect(again.status).toBe(400);
    expect(again.body.errors?.[0]?.pointer).toBe('/token');
  });

  it('answers a taken address exactly as a free one and mails its owner instead of opening a second account', async () => {
    const owner = await userWithRole('developer');
    const free = fresh();
    const taken = await api<Record<string, unknown>>('POST', '/api/devportal/v1/signup', null, {
      email: owner.email,
      password: 'someone elses password',
      displayName: 'Mallory',
    });
    const opened = await api<Record<string, unknown>>('POST', '/api/devportal/v1/signup', null, {
      email: free,
      password: 'someone elses password',
      displayName: 'Mallory',
    });
    expect(taken.status).toBe(opened.status);
    expect(taken.body).toEqual(opened.body);
    expect([...taken.headers.keys()].filter((k) => k !== 'x-request-id').sort()).toEqual(
      [...opened.headers.keys()].filter((k) => k !== 'x-request-id').sort(),
    );
    const [toOwner] = await mails(owner.email);
    expect(toOwner?.headers['subject']).toMatch(/already have/);
    expect(linkIn(toOwner, 'verify')).toBeNull();
    // The owner's password still works; the prober's does not.
    expect((await login(owner.email, PASSWORD)).status).toBe(200);
    expect((await login(owner.email, 'someone elses password')).status).toBe(401);
  });

  it('sends a fresh link to an unconfirmed sign-up, voiding the earlier one, and refuses an expired one', async () => {
    const email = fresh();
    await api('POST', '/api/devportal/v1/signup', null, { email, password: 'correct horse battery', displayName: 'Dev' });
    const first = linkIn((await mails(email, 1))[0], 'verify')?.token ?? '';
    await api('POST', '/api/devportal/v1/signup', null, { email, password: 'another long password', displayName: 'Dev' });
    const second = linkIn((await mails(email, 2))[1], 'verify')?.token ?? '';
    expect(second).not.toBe(first);
    expect((await api('POST', '/api/auth/verify-email', null, { token: first })).status).toBe(400);
    const user = (await db.select().from(schema.users).where(eq(schema.users.email, email)))[0];
    await db
      .update(schema.accountTokens)
      .set({ expiresAt: Date.now() - 1 })
      .where(eq(schema.accountTokens.userId, user?.id ?? ''));
    expect((await api('POST', '/api/auth/verify-email', null, { token: second })).status).toBe(400);
    expect((await login(email, 'correct horse battery')).status).toBe(401);
  });
});

describe('forgotten password', () => {
  it('answers the same for a known and an unknown address, and mails a link only to the known one', async () => {
    const dev = await userWithRole('developer');
    const nobody = fresh();
    const known = await api<Record<string, unknown>>('POST', '/api/auth/password/forgot', null, { email: dev.email });
    const unknown = await api<Record<string, unknown>>('POST', '/api/auth/password/forgot', null, { email: nobody });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(known.body).toEqual(unknown.body);
    expect(linkIn((await mails(dev.email))[0], 'reset')?.url).toMatch(/#\/reset\/tpr_/);
    await new Promise((r) => setTimeout(r, 50));
    expect(await mailsTo(nobody)).toEqual([]);
  });

  it('sets the new password once per link, ends every session and lets only the new password in', async () => {
    const dev = await userWithRole('developer');
    expect((await api('GET', '/api/auth/me', dev)).status).toBe(200);
    await api('POST', '/api/auth/password/forgot', null, { email: dev.email });
    const token = linkIn((await mails(dev.email))[0], 'reset')?.token ?? '';
    const weak = await api<ProblemBody>('POST', '/api/auth/password/reset', null, { token, newPassword: 'short' });
    expect(weak.body.errors?.map((e) => e.pointer)).toEqual(['/newPassword']);
    const reset = await api('POST', '/api/auth/password/reset', null, { token, newPassword: 'a brand new long password' });
    expect(reset.status).toBe(204);
    // The session from before the reset is gone.
    expect((await api('GET', '/api/auth/me', dev)).status).toBe(401);
    expect((await login(dev.email, PASSWORD)).status).toBe(401);
    expect((await login(dev.email, 'a brand new long password')).status).toBe(200);
    expect((await api('POST', '/api/auth/password/reset', null, { token, newPassword: 'yet another long password' })).status).toBe(400);
    expect(
      (await api('POST', '/api/auth/password/reset', null, { token: 'tpr_' + 'A'.repeat(43), newPassword: 'yet another long password' }))
        .status,
    ).toBe(400);
  });

  it('confirms an unconfirmed sign-up by a reset, since the link proves the mailbox', async () => {
    const email = fresh();
    await api('POST', '/api/devportal/v1/signup', null, { email, password: 'correct horse battery', displayName: 'Dev' });
    await mails(email);
    await api('POST', '/api/auth/password/forgot', null, { email });
    const token = linkIn((await mails(email, 2))[1], 'reset')?.token ?? '';
    expect((await api('POST', '/api/auth/password/reset', null, { token, newPassword: 'a brand new long password' })).status).toBe(204);
    expect((await login(email, 'a brand new long password')).status).toBe(200);
  });
});

import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { withBusyRetry } from '../../shared/d1-retry.ts';

describe('withBusyRetry', () => {
  it('passes statements and batches through to the real database', async () => {
    const db = withBusyRetry(env.DB);
    await db.batch([
      db.prepare('CREATE TABLE IF NOT EXISTS retry_probe (n INTEGER)'),
      db.prepare('INSERT INTO retry_probe (n) VALUES (?)').bind(7),
    ]);
    expect(await db.prepare('SELECT n FROM retry_probe WHERE n = ?').bind(7).first<{ n: number }>()).toEqual({ n: 7 });
  });

  it('retries a statement refused with SQLITE_BUSY and gives up on other errors at once', async () => {
    let calls = 0;
    const busyThenFine = {
      first: async () => (++calls < 3 ? Promise.reject(new Error('D1_ERROR: database is locked: SQLITE_BUSY')) : { ok: true }),
    };
    const fake = { prepare: () => ({ bind: () => busyThenFine, ...busyThenFine }) } as unknown as D1Database;
    expect(await withBusyRetry(fake).prepare('SELECT 1').bind().first()).toEqual({ ok: true });
    expect(calls).toBe(3);
    let other = 0;
    const broken = {
      prepare: () => ({ first: async () => Promise.reject(new Error(`no such table ${++other}`)) }),
    } as unknown as D1Database;
    await expect(withBusyRetry(broken).prepare('SELECT 1').first()).rejects.toThrow('no such table 1');
    expect(other).toBe(1);
  });
});

import { createExecutionContext, createMessageBatch, env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../shared/crypto.ts';
import type { UsageMessage } from '../../../shared/usage.ts';
import { createGatewayApp } from '../app.ts';
import { api, deploy, resource, signingKey, subscribe } from '../test-support.ts';
import { consumeUsage } from './consumer.ts';
import { flush } from './reporter.ts';

const APP = 'app_keyuse';
const KEYS = { a: 'tpk_keyuse_a_0123456789abcdef', b: 'tpk_keyuse_b_0123456789abcdef' };
const gateway = createGatewayApp();
const sent: UsageMessage[] = [];
// The gateway's env with its usage queue captured, so the test sees what a flush ships.
const capturing = {
  ...env,
  USAGE: { send: async (m: UsageMessage) => void sent.push(m), sendBatch: async () => undefined },
} as unknown as Env;

const lastUsed = async (id: string) =>
  (await env.DB.prepare('SELECT last_used_at FROM api_keys WHERE id = ?').bind(id).first<{ last_used_at: number | null }>())
    ?.last_used_at ?? null;

async function callWith(key: string): Promise<number> {
  const res = await gateway.fetch(
    new Request('http://gateway.test/keyuse/v1/pets', { headers: { apikey: key } }),
    capturing,
    createExecutionContext(),
  );
  await res.arrayBuffer();
  return res.status;
}

beforeAll(async () => {
  await deploy(
    [api({ id: 'api_keyuse', context: '/keyuse', resources: [resource('GET', '/pets', { authType: 'api_key' })] })],
    [await signingKey('ku')],
  );
  await subscribe(APP, 'api_keyuse');
  await env.DB.prepare(
    `INSERT INTO users (id, email, display_name, password_hash, role) VALUES ('usr_keyuse', 'keyuse@example.com', 'K', 'x', 'developer')`,
  ).run();
  await env.DB.prepare(`INSERT INTO applications (id, name, owner_id) VALUES (?, 'Key use', 'usr_keyuse')`).bind(APP).run();
  for (const [name, key] of Object.entries(KEYS)) {
    await env.DB.prepare(
      `INSERT INTO api_keys (id, application_id, key_type, name, key_hash, prefix, allowed_ips, allowed_referrers) VALUES (?, ?, 'PRODUCTION', ?, ?, ?, '[]', '[]')`,
    )
      .bind(`key_use_${name}`, APP, name, await sha256Hex(key), key.slice(0, 10))
      .run();
  }
});

describe('last_used_at of API keys, recorded off the hot path', () => {
  it('answers without writing last_used_at, ships one entry per key with its latest use in the usage batch, and the consumer records it', async () => {
    const before = Date.now();
    expect(await callWith(KEYS.a)).toBe(200);
    expect(await callWith(KEYS.a)).toBe(200);
    expect(await callWith(KEYS.b)).toBe(200);
    // The calls are answered; nothing has written the key rows.
    expect(await lastUsed('key_use_a')).toBeNull();

    await flush(capturing);
    const message = sent.at(-1);
    expect(message?.keysUsed?.map((k) => k.id).sort()).toEqual(['key_use_a', 'key_use_b']);
    expect(message?.keysUsed?.every((k) => k.at >= before)).toBe(true);

    await consumeUsage(
      createMessageBatch<UsageMessage>('turnpike-usage', [
        { id: 'ku1', timestamp: new Date(), attempts: 1, body: message as UsageMessage },
      ]),
      env,
    );
    const recorded = await lastUsed('key_use_a');
    expect(recorded).toBe(message?.keysUsed?.find((k) => k.id === 'key_use_a')?.at);

    // A batch that arrives late (another isolate's, older) never moves it backwards.
    await consumeUsage(
      createMessageBatch<UsageMessage>('turnpike-usage', [
        {
          id: 'ku2',
          timestamp: new Date(),
          attempts: 1,
          body: { id: 'ku2', rows: [], keysUsed: [{ id: 'key_use_a', at: before - 60_000 }] },
        },
      ]),
      env,
    );
    expect(await lastUsed('key_use_a')).toBe(recorded);
  });

  it('ships no key entry for a refused key', async () => {
    expect(await callWith('tpk_unknown_key_0123456789abcdef')).toBe(401);
    await flush(capturing);
    expect(sent.at(-1)?.keysUsed).toBeUndefined();
  });
});

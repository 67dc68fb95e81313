import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, call, deploy, resource, signingKey, subscribe, token, type SigningKey } from '../test-support.ts';
import { flush } from './reporter.ts';

let key: SigningKey;

beforeAll(async () => {
  key = await signingKey('ke');
  await deploy([api({ id: 'api_errs', context: '/errs', resources: [resource('GET', '/pets'), resource('GET', '/status/503')] })], [key]);
});

type ErrorRow = { application_id: string; key_type: string; error_code: number; count: number };

async function errorRows(apiId: string, expected: number): Promise<ErrorRow[]> {
  let rows: ErrorRow[] = [];
  for (let i = 0; i < 50 && rows.reduce((n, r) => n + r.count, 0) < expected; i++) {
    await new Promise((r) => setTimeout(r, 200));
    rows = (
      await env.DB.prepare(
        `SELECT application_id, key_type, error_code, count FROM usage_errors WHERE api_id = ? AND granularity = 'minute' ORDER BY error_code`,
      )
        .bind(apiId)
        .all<ErrorRow>()
    ).results;
  }
  return rows;
}

describe('usage: errors by code', () => {
  it("counts the gateway's problem codes and backend statuses per application, and no successful call", async () => {
    const app = 'app_errs';
    await subscribe(app, 'api_errs', [{ policy: 'Two', scope: 'subscription', limit: 2, windowSeconds: 3600 }]);
    const auth = { authorization: `Bearer ${await token(key, { applicationId: app })}` };
    expect((await call('/errs/v1/status/503', { headers: auth })).status).toBe(503);
    expect((await call('/errs/v1/pets', { headers: auth })).status).toBe(200);
    const throttled = await call('/errs/v1/pets', { headers: auth });
    expect(throttled.status).toBe(429);
    expect(((await throttled.json()) as { code: number }).code).toBe(900804);
    expect((await call('/errs/v1/pets', { headers: { authorization: 'Bearer not-a-token' } })).status).toBe(401);
    // Shipped now rather than at the end of the fold period (USAGE_FOLD_MS), through the real queue.
    await flush(env);

    expect(await errorRows('api_errs', 3)).toEqual([
      { application_id: app, key_type: 'PRODUCTION', error_code: 503, count: 1 },
      { application_id: app, key_type: 'PRODUCTION', error_code: 900804, count: 1 },
      { application_id: '-', key_type: '-', error_code: 900901, count: 1 },
    ]);
  });
});

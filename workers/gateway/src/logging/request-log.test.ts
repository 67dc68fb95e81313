import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { flush as flushUsage } from '../usage/reporter.ts';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../../../shared/crypto.ts';
import { createGatewayApp } from '../app.ts';
import { urlParts } from './request-log.ts';
import { api, deploy, resource, signingKey, subscribe, token, type SigningKey } from '../test-support.ts';

const APP = 'app_logged';
const API_KEY = 'tpk_logged_secret_0123456789abcdef';
const gateway = createGatewayApp();
let key: SigningKey;

beforeAll(async () => {
  key = await signingKey('kl');
  await deploy(
    [api({ id: 'api_logged', context: '/logged', resources: [resource('GET', '/pets', { authType: 'oauth2_or_api_key' })] })],
    [key],
  );
  await subscribe(APP, 'api_logged');
  await env.DB.prepare(
    `INSERT INTO users (id, email, display_name, password_hash, role) VALUES ('usr_logged', 'logged@example.com', 'L', 'x', 'developer')`,
  ).run();
  await env.DB.prepare(`INSERT INTO applications (id, name, owner_id) VALUES (?, 'Logged', 'usr_logged')`).bind(APP).run();
  await env.DB.prepare(
    `INSERT INTO api_keys (id, application_id, key_type, name, key_hash, prefix, allowed_ips, allowed_referrers) VALUES ('key_logged', ?, 'PRODUCTION', 'k', ?, ?, '[]', '[]')`,
  )
    .bind(APP, await sha256Hex(API_KEY), API_KEY.slice(0, 8))
    .run();
});

afterEach(() => {
  vi.restoreAllMocks();
});

interface LogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityText: string;
  severityNumber: number;
  body: string;
  resource: Record<string, string>;
  attributes: Record<string, string | number>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string;
}
interface OtlpLine {
  resourceLogs: Array<{
    resource: { attributes: Array<{ key: string; value: OtlpValue }> };
    scopeLogs: Array<{
      scope: { name: string };
      logRecords: Array<{
        timeUnixNano: string;
        observedTimeUnixNano: string;
        severityText: string;
        severityNumber: number;
        body: OtlpValue;
        attributes: Array<{ key: string; value: OtlpValue }>;
      }>;
    }>;
  }>;
}

const plain = (list: Array<{ key: string; value: OtlpValue }>) =>
  Object.fromEntries(
    list.map(({ key, value }) => [key, value.intValue !== undefined ? Number(value.intValue) : (value.stringValue ?? '')]),
  );

/** The records of OTLP/JSON log lines, attributes as plain objects (integers as numbers). */
function recordsOf(lines: readonly string[]): LogRecord[] {
  return lines.flatMap((line) =>
    (JSON.parse(line) as OtlpLine).resourceLogs.flatMap((r) =>
      r.scopeLogs.flatMap((scope) =>
        scope.logRecords.map((record) => ({
          ...record,
          body: record.body.stringValue ?? '',
          resource: plain(r.resource.attributes) as Record<string, string>,
          attributes: plain(record.attributes),
        })),
      ),
    ),
  );
}

/** Calls the gateway, waits for its background work and returns the raw request-log lines it wrote. */
async function loggedCall(
  path: string,
  init: RequestInit = {},
  bindings: Env = env,
): Promise<{ status: number; lines: string[]; records: LogRecord[] }> {
  const log = vi.spyOn(console, 'log');
  const ctx = createExecutionContext();
  const res = await gateway.fetch(new Request(`http://gateway.test${path}`, init), bindings, ctx);
  await res.arrayBuffer();
  // Usage folds for USAGE_FOLD_MS (decision 0059): shipped now, so the context's background work ends.
  await flushUsage(bindings);
  await waitOnExecutionContext(ctx);
  const lines = log.mock.calls.map((args) => String(args[0])).filter((line) => line.includes('"resourceLogs"'));
  log.mockRestore();
  return { status: res.status, lines, records: recordsOf(lines) };
}

describe('request log (OpenTelemetry log data model)', () => {
  it('writes one record per call with the OTel fields and semantic-convention attributes, and no bearer token or query value', async () => {
    const bearer = await token(key, { applicationId: APP });
    const { status, lines, records } = await loggedCall('/logged/v1/pets?search=hunter2&sig=query-secret-value', {
      headers: { authorization: `Bearer ${bearer}`, 'user-agent': 'log-test/1.0' },
    });
    expect(status).toBe(200);
    expect(lines).toHaveLength(1);
    expect(records).toHaveLength(1);
    const line = lines[0] ?? '';
    const record = records[0] as LogRecord;
    expect(record).toMatchObject({
      severityText: 'INFO',
      severityNumber: 9,
      body: 'GET /logged/v1/pets 200',
      resource: { 'service.name': 'turnpike-gateway', 'deployment.environment.name': 'production' },
      attributes: {
        'http.request.method': 'GET',
        'url.path': '/logged/v1/pets',
        'url.query': 'search=REDACTED&sig=REDACTED',
        'http.response.status_code': 200,
        'user_agent.original': 'log-test/1.0',
        'turnpike.api.id': 'api_logged',
        'turnpike.application.id': APP,
        'turnpike.key_type': 'PRODUCTION',
      },
    });
    expect(BigInt(record.timeUnixNano)).toBeLessThanOrEqual(BigInt(record.observedTimeUnixNano));
    expect(record.attributes['turnpike.duration_ms']).toEqual(expect.any(Number));
    expect(record.attributes['turnpike.request.id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(record.attributes['turnpike.error.code']).toBeUndefined();
    for (const secret of [bearer, bearer.split('.')[2] ?? bearer, 'hunter2', 'query-secret-value']) expect(line).not.toContain(secret);
    expect(line).not.toMatch(/authorization|bearer/i);
  });

  it('never contains the API key, and records refused calls with their error code at WARN', async () => {
    const accepted = await loggedCall('/logged/v1/pets', { headers: { apikey: API_KEY } });
    expect(accepted.status).toBe(200);
    expect(accepted.records).toHaveLength(1);
    expect(accepted.lines[0]).not.toContain(API_KEY);
    expect(accepted.lines[0]).not.toContain(API_KEY.slice(8));
    expect(accepted.records[0]?.attributes['turnpike.application.id']).toBe(APP);

    const refused = await loggedCall('/logged/v1/pets', { headers: { apikey: `${API_KEY}-wrong` } });
    expect(refused.status).toBe(401);
    const record = refused.records[0];
    expect(record).toMatchObject({
      severityText: 'WARN',
      attributes: { 'http.response.status_code': 401, 'turnpike.error.code': 900901, 'turnpike.api.id': 'api_logged' },
    });
    expect(refused.lines[0]).not.toContain(API_KEY.slice(8));
  });

  it('logs calls no API matches, at WARN with the problem code', async () => {
    const { records } = await loggedCall('/nowhere/v1/x');
    expect(records[0]).toMatchObject({
      severityText: 'WARN',
      attributes: { 'http.response.status_code': 404, 'turnpike.error.code': 900906 },
    });
  });

  it('writes the records of calls close together as one OTLP/JSON line, one record per call', async () => {
    const log = vi.spyOn(console, 'log');
    const contexts = [createExecutionContext(), createExecutionContext(), createExecutionContext()];
    const statuses: number[] = [];
    for (const [i, ctx] of contexts.entries()) {
      const res = await gateway.fetch(new Request(`http://gateway.test/logged/v1/pets?n=${i}`, { headers: { apikey: API_KEY } }), env, ctx);
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    await flushUsage(env);
    for (const ctx of contexts) await waitOnExecutionContext(ctx);
    const lines = log.mock.calls.map((args) => String(args[0])).filter((line) => line.includes('"resourceLogs"'));
    log.mockRestore();
    expect(statuses).toEqual([200, 200, 200]);
    expect(lines).toHaveLength(1);
    const records = recordsOf(lines);
    expect(records).toHaveLength(3);
    expect(new Set(records.map((r) => r.attributes['turnpike.request.id'])).size).toBe(3);
    expect((JSON.parse(lines[0] ?? '{}') as OtlpLine).resourceLogs[0]?.scopeLogs[0]?.scope.name).toBe('turnpike-gateway/request-log');
  });

  it('is off when REQUEST_LOG is "off"', async () => {
    const bearer = await token(key, { applicationId: APP });
    const { status, lines } = await loggedCall(
      '/logged/v1/pets',
      { headers: { authorization: `Bearer ${bearer}` } },
      { ...env, REQUEST_LOG: 'off' },
    );
    expect(status).toBe(200);
    expect(lines).toEqual([]);
  });
});

describe("the record's URL fields", () => {
  it.each([
    'http://gateway.test/logged/v1/pets',
    'https://gateway.test:8443/logged/v1/pets?access_token=secret&x=1',
    'http://[2001:db8::1]:8787/a/b?q',
    'http://[::1]/',
    'http://user:pa%3Ass@example.com:81/p?x=1#frag',
    'http://example.com',
    'http://example.com?only=query',
    'http://example.com/#just-a-fragment',
    'http://example.com/path?',
    'http://127.0.0.1:28787/%E2%9C%93/caf%C3%A9?na%20me=v&=&x',
    'https://EXAMPLE.com/./a/../b?y=%20#h?not-query',
  ])('cuts from %s what new URL reads', (raw) => {
    const href = new URL(raw).href;
    const url = new URL(href);
    expect(urlParts(href)).toEqual({
      scheme: url.protocol.replace(/:$/, ''),
      hostname: url.hostname,
      pathname: url.pathname,
      search: url.search,
    });
  });
});

import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createGatewayApp } from './app.ts';
import { ConfigError, parseGatewayConfig } from './config.ts';

const shipped = { SNAPSHOT_TTL_SECONDS: '2', LEASE_MIN_LIMIT: '100', REQUEST_LOG: 'otel', COUNTER_RTT_MS: '0', METERING: 'off' };

describe('gateway configuration', () => {
  it('parses the shipped vars into numbers and switches', () => {
    expect(parseGatewayConfig(shipped)).toEqual({
      snapshotTtlMs: 2000,
      leaseMinLimit: 100,
      requestLog: true,
      counterRttMs: 0,
      metering: false,
    });
    expect(parseGatewayConfig({ ...shipped, REQUEST_LOG: 'OFF', METERING: 'on', COUNTER_RTT_MS: '80' })).toMatchObject({
      requestLog: false,
      metering: true,
      counterRttMs: 80,
    });
  });

  it('names the var that cannot be used instead of turning it into NaN', () => {
    expect(() => parseGatewayConfig({ ...shipped, LEASE_MIN_LIMIT: 'ten' })).toThrow(ConfigError);
    expect(() => parseGatewayConfig({ ...shipped, LEASE_MIN_LIMIT: 'ten' })).toThrow(/LEASE_MIN_LIMIT/);
    expect(() => parseGatewayConfig({ ...shipped, LEASE_MIN_LIMIT: '0' })).toThrow(/LEASE_MIN_LIMIT must be an integer ≥ 1/);
    expect(() => parseGatewayConfig({ ...shipped, SNAPSHOT_TTL_SECONDS: '-1' })).toThrow(/SNAPSHOT_TTL_SECONDS/);
    expect(() => parseGatewayConfig({ ...shipped, REQUEST_LOG: 'verbose' })).toThrow(/REQUEST_LOG must be one of otel, off/);
  });

  it('uses the documented default for a var left empty', () => {
    expect(parseGatewayConfig({ ...shipped, SNAPSHOT_TTL_SECONDS: '', METERING: '' })).toMatchObject({
      snapshotTtlMs: 2000,
      metering: false,
    });
  });

  it('fails every call closed with a generic problem when a var is malformed', async () => {
    const app = createGatewayApp();
    const ctx = { waitUntil: () => undefined, passThroughOnException: () => undefined, props: {} } as unknown as ExecutionContext;
    const res = await app.fetch(new Request('https://gw.example/any/v1/x'), { ...env, LEASE_MIN_LIMIT: 'lots' }, ctx);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.text()).not.toContain('LEASE_MIN_LIMIT');
  });
});

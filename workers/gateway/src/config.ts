/**
 * The gateway's vars (wrangler.toml `[vars]`), parsed once per isolate and checked: a missing or
 * malformed value is a configuration error named by its var, not a silent `NaN` at the point of use
 * (STYLE.md, "validate configuration once"). Plain code, not zod: this runs on the data path
 * (decision 0015).
 */
export interface GatewayConfig {
  /** SNAPSHOT_TTL_SECONDS in ms: how long an isolate trusts its snapshot before revalidating it. */
  readonly snapshotTtlMs: number;
  /** LEASE_MIN_LIMIT: limits below it are always counted call by call (decision 0006). */
  readonly leaseMinLimit: number;
  /** REQUEST_LOG: "otel" (default) or "off". */
  readonly requestLog: boolean;
  /** COUNTER_RTT_MS: modelling knob for the bench and the simulation; 0 when deployed. */
  readonly counterRttMs: number;
  /** METERING: "on" answers GET /_turnpike/metering (bench only). */
  readonly metering: boolean;
}

type Vars = Pick<Env, 'SNAPSHOT_TTL_SECONDS' | 'LEASE_MIN_LIMIT' | 'REQUEST_LOG' | 'COUNTER_RTT_MS' | 'METERING'>;

/** Thrown for a var that cannot be used; the app logs it and answers a generic 500 (fail closed). */
// Fields declared, not parameter properties: the bench loads this file in Node, whose type stripping refuses them.
export class ConfigError extends Error {
  readonly variable: string;
  readonly value: unknown;
  constructor(variable: string, value: unknown, expected: string) {
    super(`${variable} must be ${expected}, got ${JSON.stringify(value)}`);
    this.variable = variable;
    this.value = value;
    this.name = 'ConfigError';
  }
}

// The env object is the same for every request of an isolate; a WeakMap keeps tests with their own
// env objects apart and holds nothing once an env is gone.
const parsed = new WeakMap<object, GatewayConfig>();

export function gatewayConfig(env: Vars): GatewayConfig {
  let config = parsed.get(env);
  if (config === undefined) {
    config = parseGatewayConfig(env);
    parsed.set(env, config);
  }
  return config;
}

export function parseGatewayConfig(env: Vars): GatewayConfig {
  return {
    snapshotTtlMs: integer(env, 'SNAPSHOT_TTL_SECONDS', 0, '2') * 1000,
    leaseMinLimit: integer(env, 'LEASE_MIN_LIMIT', 1, '100'),
    requestLog: oneOf(env, 'REQUEST_LOG', ['otel', 'off'], 'otel') === 'otel',
    counterRttMs: integer(env, 'COUNTER_RTT_MS', 0, '0'),
    metering: oneOf(env, 'METERING', ['on', 'off'], 'off') === 'on',
  };
}

function raw(env: Vars, name: keyof Vars, fallback: string): string {
  const value: unknown = env[name];
  if (value === undefined || value === '') return fallback;
  if (typeof value !== 'string') throw new ConfigError(name, value, 'a string');
  return value.trim();
}

function integer(env: Vars, name: keyof Vars, min: number, fallback: string): number {
  const text = raw(env, name, fallback);
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new ConfigError(name, text, `an integer ≥ ${min}`);
  return n;
}

function oneOf<T extends string>(env: Vars, name: keyof Vars, values: readonly T[], fallback: T): T {
  const text = raw(env, name, fallback).toLowerCase();
  const hit = values.find((v) => v === text);
  if (hit === undefined) throw new ConfigError(name, text, `one of ${values.join(', ')}`);
  return hit;
}

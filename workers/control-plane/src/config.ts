import { z } from 'zod';

/**
 * The control plane's vars (wrangler.toml `[vars]`), parsed once per isolate: a missing or malformed
 * value fails every request closed with its name in the log, instead of a `NaN` lifetime or an
 * origin list that silently trusts nothing (STYLE.md, "validate configuration once").
 */
const Vars = z.object({
  ISSUER: z.url(),
  ALLOWED_ORIGINS: z.string().transform((s) =>
    s
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== ''),
  ),
  TOKEN_AUDIENCE: z.string().min(1),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400),
  PORTAL_URL: z.url(),
  MAIL_FROM: z.email(),
});

export type ControlPlaneConfig = z.output<typeof Vars> & {
  /** ACCESS_TOKEN_TTL_SECONDS in ms. */
  readonly accessTokenTtlMs: number;
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const parsed = new WeakMap<object, ControlPlaneConfig>();

export function controlPlaneConfig(env: Env): ControlPlaneConfig {
  let config = parsed.get(env);
  if (config === undefined) {
    config = parseControlPlaneConfig(env);
    parsed.set(env, config);
  }
  return config;
}

export function parseControlPlaneConfig(env: Pick<Env, keyof z.input<typeof Vars>>): ControlPlaneConfig {
  const result = Vars.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return { ...result.data, accessTokenTtlMs: result.data.ACCESS_TOKEN_TTL_SECONDS * 1000 };
}

import { z } from '@hono/zod-openapi';
import type { FieldError } from '../../../shared/problem.ts';

/** What the control plane keeps of a provider's metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2). */
export interface Discovered {
  readonly issuer: string;
  readonly jwksUri: string | null;
  readonly tokenEndpoint: string | null;
  readonly introspectionEndpoint: string | null;
  readonly registrationEndpoint: string | null;
}

const Metadata = z.object({
  issuer: z.string().url(),
  jwks_uri: z.string().url().optional(),
  token_endpoint: z.string().url().optional(),
  introspection_endpoint: z.string().url().optional(),
  registration_endpoint: z.string().url().optional(),
});

const OIDC_SUFFIX = '/.well-known/openid-configuration';
const RFC8414_PREFIX = '/.well-known/oauth-authorization-server';
const MAX_METADATA_BYTES = 64 * 1024;

/**
 * The issuer a discovery URL promises: OpenID Connect Discovery §4 appends its well-known path to
 * the issuer, RFC 8414 §3.1 inserts its own between host and path. Null for any other URL (the
 * document's issuer is then taken as it says).
 */
export function expectedIssuer(discoveryUrl: string): string | null {
  const url = new URL(discoveryUrl);
  if (url.pathname.endsWith(OIDC_SUFFIX)) return `${url.origin}${url.pathname.slice(0, -OIDC_SUFFIX.length)}`;
  if (url.pathname === RFC8414_PREFIX || url.pathname.startsWith(`${RFC8414_PREFIX}/`))
    return `${url.origin}${url.pathname.slice(RFC8414_PREFIX.length)}`;
  return null;
}

function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Where the control plane and the gateways may be sent for a key manager's metadata, keys and
 * introspection: https, or plain http to loopback where some gateway environment allows private
 * backends (a local or development setup), as for webhooks.
 */
export function endpointRefusal(value: string, allowLoopback: boolean): string | null {
  const url = new URL(value);
  if (url.username !== '' || url.password !== '') return 'No credentials in the URL';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && isLoopback(url))
    return allowLoopback ? null : 'Plain http to loopback only where a gateway environment allows private backends';
  return 'An https URL';
}

export type DiscoveryOutcome = { ok: true; value: Discovered } | { ok: false; errors: FieldError[] };

/** Fetches and checks a provider's metadata document; the problems found, by field, otherwise. */
export async function discover(discoveryUrl: string, allowLoopback: boolean, fetcher: typeof fetch = fetch): Promise<DiscoveryOutcome> {
  const refusal = endpointRefusal(discoveryUrl, allowLoopback);
  if (refusal !== null) return { ok: false, errors: [{ pointer: '/discoveryUrl', detail: refusal }] };
  let text: string;
  try {
    const res = await fetcher(discoveryUrl, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(5_000),
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      return { ok: false, errors: [{ pointer: '/discoveryUrl', detail: `The discovery document answered ${res.status}` }] };
    }
    text = await res.text();
  } catch {
    return { ok: false, errors: [{ pointer: '/discoveryUrl', detail: 'The discovery document could not be fetched' }] };
  }
  if (text.length > MAX_METADATA_BYTES)
    return { ok: false, errors: [{ pointer: '/discoveryUrl', detail: 'The discovery document is too large' }] };
  let parsed: z.infer<typeof Metadata>;
  try {
    const result = Metadata.safeParse(JSON.parse(text));
    if (!result.success)
      return {
        ok: false,
        errors: [
          {
            pointer: '/discoveryUrl',
            detail: `Not a provider metadata document: ${result.error.issues.map((i) => i.path.join('.') || i.message).join(', ')}`,
          },
        ],
      };
    parsed = result.data;
  } catch {
    return { ok: false, errors: [{ pointer: '/discoveryUrl', detail: 'The discovery document is not JSON' }] };
  }
  // OIDC Discovery §4.3 and RFC 8414 §3.3: the issuer must be the one the URL was built from, or a
  // provider could claim another's tokens.
  const expected = expectedIssuer(discoveryUrl);
  if (expected !== null && parsed.issuer !== expected)
    return { ok: false, errors: [{ pointer: '/discoveryUrl', detail: `The document names the issuer ${parsed.issuer}, not ${expected}` }] };
  const errors: FieldError[] = [];
  for (const [field, value] of [
    ['jwks_uri', parsed.jwks_uri],
    ['introspection_endpoint', parsed.introspection_endpoint],
    ['token_endpoint', parsed.token_endpoint],
  ] as const) {
    const why = value === undefined ? null : endpointRefusal(value, allowLoopback);
    if (why !== null) errors.push({ pointer: '/discoveryUrl', detail: `${field}: ${why}` });
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      issuer: parsed.issuer,
      jwksUri: parsed.jwks_uri ?? null,
      tokenEndpoint: parsed.token_endpoint ?? null,
      introspectionEndpoint: parsed.introspection_endpoint ?? null,
      registrationEndpoint: parsed.registration_endpoint ?? null,
    },
  };
}

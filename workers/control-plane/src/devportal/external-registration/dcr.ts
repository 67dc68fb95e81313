import { z } from '@hono/zod-openapi';

/**
 * A client registered at an external provider by OAuth 2.0 Dynamic Client Registration (RFC 7591
 * §3): the metadata Turnpike asks for, sent with the admin's initial access token (§3, "Bearer"),
 * and the client information the provider answers with (§3.2.1). The secret is handed to the
 * developer once and never stored (decision 0052).
 */
export interface ClientRequest {
  readonly clientName: string;
  readonly grantTypes: readonly ('client_credentials' | 'authorization_code' | 'refresh_token')[];
  readonly redirectUris: readonly string[];
}

const ClientInformation = z.object({
  client_id: z.string().min(1).max(256),
  client_secret: z.string().min(1).max(1000).optional(),
  client_secret_expires_at: z.number().int().nonnegative().optional(),
});

export interface RegisteredClient {
  readonly clientId: string;
  readonly clientSecret: string;
  /** RFC 7591 §3.2.1: seconds since the epoch, 0 for never. */
  readonly clientSecretExpiresAt: number;
}

export type RegistrationOutcome =
  | { ok: true; value: RegisteredClient }
  /** §3.2.2 error response (e.g. invalid_client_metadata), or 401/403 for a refused initial access token. */
  | { ok: false; reason: 'refused'; status: number; error: string | null }
  | { ok: false; reason: 'unreachable' }
  /** A 201 without what a confidential client needs (a client_id and a client_secret). */
  | { ok: false; reason: 'invalid-response' };

export async function registerClient(
  registrationEndpoint: string,
  initialAccessToken: string,
  request: ClientRequest,
  fetcher: typeof fetch = fetch,
): Promise<RegistrationOutcome> {
  const metadata = {
    client_name: request.clientName,
    grant_types: request.grantTypes,
    // §2: response_types go with the grant types; a client without authorization_code uses none.
    response_types: request.grantTypes.includes('authorization_code') ? ['code'] : [],
    redirect_uris: request.redirectUris,
    token_endpoint_auth_method: 'client_secret_basic',
  };
  let res: Response;
  try {
    res = await fetcher(registrationEndpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${initialAccessToken}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(metadata),
      redirect: 'manual',
      signal: AbortSignal.timeout(5_000),
    });
  } catch {
    return { ok: false, reason: 'unreachable' };
  }
  const text = await res.text();
  if (res.status >= 500) return { ok: false, reason: 'unreachable' };
  if (res.status !== 201 && res.status !== 200) {
    let error: string | null = null;
    try {
      const parsed = (JSON.parse(text) as { error?: unknown }).error;
      error = typeof parsed === 'string' ? parsed.slice(0, 100) : null;
    } catch {
      /* not JSON: no error code to show */
    }
    return { ok: false, reason: 'refused', status: res.status, error };
  }
  let info: z.infer<typeof ClientInformation>;
  try {
    const parsed = ClientInformation.safeParse(JSON.parse(text));
    if (!parsed.success) return { ok: false, reason: 'invalid-response' };
    info = parsed.data;
  } catch {
    return { ok: false, reason: 'invalid-response' };
  }
  if (info.client_secret === undefined) return { ok: false, reason: 'invalid-response' };
  return {
    ok: true,
    value: { clientId: info.client_id, clientSecret: info.client_secret, clientSecretExpiresAt: info.client_secret_expires_at ?? 0 },
  };
}

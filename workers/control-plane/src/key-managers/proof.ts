/**
 * Whether `clientId` / `clientSecret` authenticate at a key manager's token endpoint: the proof a
 * developer owns the external client they map ("provide existing OAuth keys"), so nobody can map
 * someone else's client id and have its tokens counted, throttled or billed as theirs. A
 * client-credentials request is made and its answer discarded: 200, or one of the RFC 6749 §5.2 /
 * RFC 8707 errors a server can only give a client it has authenticated (`unauthorized_client` for a
 * client without that grant, `invalid_scope`, `invalid_target`), means the client authenticated.
 * Anything else (`invalid_client`, a malformed request, a misconfigured client) proves nothing. The
 * secret is not stored.
 */
export type ProofOutcome = { ok: true } | { ok: false; reason: 'invalid-client' | 'unreachable' };

export async function proveClient(tokenEndpoint: string, clientId: string, clientSecret: string, fetcher: typeof fetch = fetch): Promise<ProofOutcome> {
  const encode = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  let res: Response;
  try {
    res = await fetcher(tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`${encode(clientId)}:${encode(clientSecret)}`)}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'grant_type=client_credentials',
      redirect: 'manual',
      signal: AbortSignal.timeout(5_000),
    });
  } catch {
    return { ok: false, reason: 'unreachable' };
  }
  const text = await res.text();
  if (res.status === 200) return { ok: true };
  if (res.status >= 500) return { ok: false, reason: 'unreachable' };
  let error: unknown;
  try {
    error = (JSON.parse(text) as { error?: unknown }).error;
  } catch {
    return { ok: false, reason: 'invalid-client' };
  }
  return res.status === 400 && typeof error === 'string' && AUTHENTICATED_ERRORS.has(error) ? { ok: true } : { ok: false, reason: 'invalid-client' };
}

const AUTHENTICATED_ERRORS = new Set(['unauthorized_client', 'invalid_scope', 'invalid_target']);

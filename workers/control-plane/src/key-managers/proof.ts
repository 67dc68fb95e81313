/**
 * Whether `clientId` / `clientSecret` authenticate at a key manager's token endpoint: the proof a
 * developer owns the external client they map ("provide existing OAuth keys"), so nobody can map
 * someone else's client id and have its tokens counted, throttled or billed as theirs. The secret is
 * not stored.
 *
 * A client-credentials request is made and its token discarded. 200 proves it. A client without
 * that grant gets a 400 instead (RFC 6749 §5.2 says `unauthorized_client`; oidc-provider, for one,
 * says `invalid_request`), and a 400 alone proves nothing: a server may check the grant before it
 * authenticates the client. So the same request is sent once more with a random secret: only if
 * that one is refused as `invalid_client` (or 401) did the real secret make the difference.
 */
export type ProofOutcome = { ok: true } | { ok: false; reason: 'invalid-client' | 'unreachable' };

type Answer = { kind: 'token' } | { kind: 'client-refused' } | { kind: 'other-error' } | { kind: 'unreachable' };

async function ask(tokenEndpoint: string, clientId: string, clientSecret: string, fetcher: typeof fetch): Promise<Answer> {
  const encode = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  let res: Response;
  try {
    res = await fetcher(tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${btoa(`${encode(clientId)}:${encode(clientSecret)}`)}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: 'grant_type=client_credentials',
      redirect: 'manual',
      signal: AbortSignal.timeout(5_000),
    });
  } catch {
    return { kind: 'unreachable' };
  }
  const text = await res.text();
  if (res.status === 200) return { kind: 'token' };
  if (res.status >= 500) return { kind: 'unreachable' };
  if (res.status === 401) return { kind: 'client-refused' };
  let error: unknown;
  try {
    error = (JSON.parse(text) as { error?: unknown }).error;
  } catch {
    return { kind: 'other-error' };
  }
  return error === 'invalid_client' ? { kind: 'client-refused' } : { kind: 'other-error' };
}

export async function proveClient(
  tokenEndpoint: string,
  clientId: string,
  clientSecret: string,
  fetcher: typeof fetch = fetch,
): Promise<ProofOutcome> {
  const first = await ask(tokenEndpoint, clientId, clientSecret, fetcher);
  if (first.kind === 'token') return { ok: true };
  if (first.kind === 'unreachable') return { ok: false, reason: 'unreachable' };
  if (first.kind === 'client-refused') return { ok: false, reason: 'invalid-client' };
  const control = await ask(tokenEndpoint, clientId, `not-the-secret-${crypto.randomUUID()}`, fetcher);
  if (control.kind === 'unreachable') return { ok: false, reason: 'unreachable' };
  return control.kind === 'client-refused' ? { ok: true } : { ok: false, reason: 'invalid-client' };
}

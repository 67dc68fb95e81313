/**
 * panva's `oidc-provider` (an OpenID Certified provider, independent of Turnpike) as the external
 * identity provider of the end-to-end tests: started in Node on a loopback port, with
 * client-credentials, authorization-code, RFC 8707 resource indicators (JWT access tokens for
 * Turnpike's audience, opaque ones for another resource) and RFC 7662 introspection. Its signing
 * keys can be rotated while it runs (a fresh provider instance behind the same server), and every
 * JWKS and introspection request it answers is counted.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { errors, type ClientMetadata, type Configuration } from 'oidc-provider';

export const AUDIENCE = 'https://api.turnpike.test';
/** A resource whose tokens are opaque (introspected), still for Turnpike's audience. */
export const OPAQUE_RESOURCE = 'urn:turnpike:opaque';
export const OTHER_AUDIENCE = 'https://other.example';
export const SCOPES = 'items:read items:admin';

export interface TestProvider {
  readonly issuer: string;
  readonly discoveryUrl: string;
  readonly tokenUrl: string;
  readonly counts: { jwks: number; introspection: number };
  /** When the provider last answered a JWKS request. */
  lastJwksAt: number;
  /** The private signing keys, newest first (the provider signs with the first). */
  keys: JWK[];
  /** Puts a new key first and drops the others: tokens signed by the old key stop verifying once gateways refetch. */
  rotate(): Promise<JWK>;
  clientCredentials(clientId: string, secret: string, options?: { resource?: string; scope?: string }): Promise<string>;
  /**
   * The authorization-code flow with PKCE, as a browser would walk it through the provider's
   * development login and consent pages (any user name signs in); the access token for `resource`.
   */
  authorizationCode(client: { id: string; secret: string; redirectUri: string }, user: string, resource: string): Promise<string>;
  close(): Promise<void>;
}

export async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: `k-${crypto.randomUUID()}`, alg: 'ES256', use: 'sig' };
}

export interface ProviderOptions {
  /**
   * The claims of each login name at the development login page (any other name signs in with
   * only `sub`), put into the id_token for the scopes asked (email, profile, groups).
   */
  accounts?: Record<string, Record<string, unknown>>;
  /** RFC 7591 dynamic registration at `/reg`, open to holders of this initial access token. */
  registrationAccessToken?: string;
}

/**
 * The development login and consent pages of oidc-provider walked as a browser does (form posts
 * to the interaction, then back to the authorization endpoint), with a cookie jar of its own:
 * where the provider finally redirects to (the client's redirect URI with `code` and `state`).
 */
export async function walkLogin(authorizationUrl: string, user: string): Promise<URL> {
  const jar = new Map<string, string>();
  const origin = new URL(authorizationUrl).origin;
  const send = async (url: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(url, origin), {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string> | undefined), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    await res.arrayBuffer();
    return res;
  };
  let res = await send(authorizationUrl);
  for (const prompt of ['login', 'consent'] as const) {
    const interaction = res.headers.get('location') ?? '';
    const form = new URLSearchParams({ prompt, ...(prompt === 'login' ? { login: user, password: 'any' } : {}) });
    res = await send(interaction, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    res = await send(res.headers.get('location') ?? '');
  }
  return new URL(res.headers.get('location') ?? '');
}

export async function startProvider(port: number, clients: ClientMetadata[], options: ProviderOptions = {}): Promise<TestProvider> {
  const issuer = `http://127.0.0.1:${port}`;
  const accounts = options.accounts ?? {};
  const config = (keys: JWK[]): Configuration => ({
    clients,
    findAccount: (_ctx, id) => Promise.resolve({ accountId: id, claims: () => Promise.resolve({ sub: id, ...accounts[id] }) }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    // The scope's claims go into the id_token too (the portal's sign-in reads its roles there), not only to userinfo.
    conformIdTokenClaims: false,
    // Every key here is ES256; the provider's default (RS256) would have no key to sign with.
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups', ...SCOPES.split(' ')],
    jwks: { keys: keys as NonNullable<Configuration['jwks']>['keys'] },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      ...(options.registrationAccessToken === undefined
        ? {}
        : { registration: { enabled: true, initialAccessToken: options.registrationAccessToken } }),
      introspection: { enabled: true, allowedPolicy: () => Promise.resolve(true) },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => Promise.resolve(oneOf ?? OPAQUE_RESOURCE),
        useGrantedResource: () => Promise.resolve(true),
        getResourceServerInfo: (_ctx, resource) => {
          if (resource === AUDIENCE || resource === OTHER_AUDIENCE)
            return Promise.resolve({
              scope: SCOPES,
              audience: resource,
              accessTokenFormat: 'jwt',
              accessTokenTTL: 300,
              jwt: { sign: { alg: 'ES256' } },
            });
          if (resource === OPAQUE_RESOURCE)
            return Promise.resolve({ scope: SCOPES, audience: AUDIENCE, accessTokenFormat: 'opaque', accessTokenTTL: 300 });
          throw new errors.InvalidTarget();
        },
      },
    },
  });
  let provider = new Provider(issuer, config([]));
  const state: TestProvider = {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    tokenUrl: `${issuer}/token`,
    counts: { jwks: 0, introspection: 0 },
    lastJwksAt: 0,
    keys: [],
    async rotate() {
      const key = await newSigningKey();
      state.keys = [key];
      provider = new Provider(issuer, config(state.keys));
      return key;
    },
    async clientCredentials(clientId, secret, options = {}) {
      const body = new URLSearchParams({ grant_type: 'client_credentials', scope: options.scope ?? 'items:read' });
      if (options.resource !== undefined) body.set('resource', options.resource);
      const res = await fetch(state.tokenUrl, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body,
      });
      if (res.status !== 200) throw new Error(`the provider's token endpoint answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { access_token: string }).access_token;
    },
    async authorizationCode(client, user, resource) {
      const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
      const challenge = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))).toString('base64url');
      const query = new URLSearchParams({
        client_id: client.id,
        response_type: 'code',
        redirect_uri: client.redirectUri,
        scope: 'openid items:read',
        resource,
        state: 'st',
        nonce: 'n',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      const redirect = await walkLogin(`${issuer}/auth?${query}`, user);
      const code = redirect.searchParams.get('code');
      if (code === null) throw new Error(`no code in the redirect: ${redirect.toString()}`);
      const token = await fetch(state.tokenUrl, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: client.redirectUri,
          code_verifier: verifier,
          resource,
        }),
      });
      if (token.status !== 200) throw new Error(`the provider's token endpoint answered ${token.status}: ${await token.text()}`);
      return ((await token.json()) as { access_token: string }).access_token;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  await state.rotate();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/jwks') {
      state.counts.jwks += 1;
      state.lastJwksAt = Date.now();
    }
    if (path === '/token/introspection') state.counts.introspection += 1;
    void provider.callback()(req, res);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return state;
}

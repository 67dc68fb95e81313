/**
 * RFC 7523 §2.1: the JWT bearer grant, for tokens issued by an external identity provider the admin
 * trusts. The provider's public keys are registered with it (never fetched from a URL the
 * assertion or anyone else names), each with the one algorithm it may be used with.
 */
import { createLocalJWKSet, decodeJwt, errors, jwtVerify, type JWK } from 'jose';
import { eq } from 'drizzle-orm';
import { schema, type Database } from '../db.ts';
import { issueAccessToken } from './access-token.ts';
import { OAuthError } from './errors.ts';
import type { GrantRequest, TokenResponse } from './grants.ts';
import { checkScope, grantableScopes, scopesOrThrow } from './scope.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const TRUSTED_ISSUERS_KEY = 'trustedIssuers';
const CLOCK_TOLERANCE_SECONDS = 60;
/** Assertions that claim to live longer than this are refused: a bearer assertion is short-lived. */
const MAX_LIFETIME_SECONDS = 3600;

export interface TrustedIssuer {
  readonly name: string;
  /** The `iss` the provider's assertions carry, compared exactly. */
  readonly issuer: string;
  readonly jwks: { readonly keys: ReadonlyArray<JWK & { kid: string; alg: string }> };
}

export async function trustedIssuers(db: Database): Promise<TrustedIssuer[]> {
  const row = (await db.select().from(schema.settings).where(eq(schema.settings.key, TRUSTED_ISSUERS_KEY)).limit(1))[0];
  return (row?.value as TrustedIssuer[] | undefined) ?? [];
}

/**
 * One answer for every assertion that does not verify, whichever check refused it: naming the check
 * (issuer unknown, kid wrong, expired) would tell a prober what to change next. The reason goes to
 * the log (STYLE.md, "internal reasons off the wire").
 */
function invalidAssertion(reason: string): OAuthError {
  console.warn(JSON.stringify({ level: 'warn', message: 'jwt-bearer assertion refused', reason }));
  return new OAuthError('invalid_grant', 'The assertion is not valid');
}

export async function jwtBearerGrant({ env, db, client, form }: GrantRequest): Promise<TokenResponse> {
  const assertion = form.get('assertion');
  if (assertion === null) throw new OAuthError('invalid_request', 'assertion is required (RFC 7523 §2.1)');
  if (assertion.length > 8192) throw invalidAssertion('too large');
  // Which provider: by the unverified `iss`, only to choose keys; everything is then verified.
  let claimedIssuer: unknown;
  try {
    claimedIssuer = decodeJwt(assertion).iss;
  } catch {
    throw invalidAssertion('not a JWT');
  }
  const trusted = (await trustedIssuers(db)).find((t) => t.issuer === claimedIssuer);
  if (trusted === undefined) throw invalidAssertion(`untrusted issuer ${JSON.stringify(claimedIssuer)}`);
  let subject: string;
  try {
    const { payload, protectedHeader } = await jwtVerify(assertion, createLocalJWKSet({ keys: trusted.jwks.keys.map((k) => ({ ...k })) }), {
      issuer: trusted.issuer,
      // RFC 7523 §3: the audience identifies this authorization server.
      audience: [env.ISSUER, `${env.ISSUER}/oauth2/token`],
      algorithms: [...new Set(trusted.jwks.keys.map((k) => k.alg))],
      requiredClaims: ['sub', 'exp'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    // The key chosen by kid must be one registered for the algorithm the header names.
    if (!trusted.jwks.keys.some((k) => k.kid === protectedHeader.kid && k.alg === protectedHeader.alg))
      throw invalidAssertion(`unexpected key ${JSON.stringify(protectedHeader.kid)} or algorithm ${protectedHeader.alg}`);
    if (typeof payload.exp === 'number' && payload.exp - (payload.iat ?? Math.floor(Date.now() / 1000)) > MAX_LIFETIME_SECONDS)
      throw invalidAssertion('lifetime above the maximum');
    subject = String(payload.sub);
  } catch (err) {
    if (err instanceof OAuthError) throw err;
    if (err instanceof errors.JOSEError) throw invalidAssertion(err.code);
    throw err;
  }
  const scopes = scopesOrThrow(
    checkScope(form.get('scope'), await grantableScopes(db, client.applicationId)),
    "a scope of this application's subscribed APIs",
  );
  // The external subject, qualified by its provider so it can never pass for one of our users.
  const issued = await issueAccessToken(env, client, { subject: `${trusted.name}:${subject}`, scopes });
  return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope };
}

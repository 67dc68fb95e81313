import { eq } from 'drizzle-orm';
import { createLocalJWKSet, decodeJwt, errors, jwtVerify, type JSONWebKeySet } from 'jose';
import { z } from 'zod';
import { schema, type Database } from '../../db.ts';
import { issueAccessToken } from '../access-token.ts';
import type { AuthenticatedClient } from '../client-auth.ts';
import { OAuthError } from '../errors.ts';
import { requestedScopes } from '../form.ts';
import type { TokenResponse } from './family.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** The settings key holding the external identity providers whose assertions are trusted. */
export const TRUSTED_ISSUERS_SETTING = 'trustedTokenIssuers';
const TrustedIssuers = z.array(
  z.object({
    issuer: z.string().min(1),
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }),
    algorithms: z.array(z.enum(['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'])).min(1).default(['ES256', 'RS256']),
  }),
);

/**
 * RFC 7523 §2.1: a JWT from a trusted external IdP is exchanged for one of our access tokens. The
 * assertion must name us as audience (§3 item 3), be signed by a key of its issuer with a pinned
 * algorithm, and carry sub, exp and iat (at most an hour old). No refresh token: the IdP stays in charge of the session.
 */
export async function jwtBearerGrant(env: Env, db: Database, client: AuthenticatedClient, form: URLSearchParams): Promise<TokenResponse> {
  const assertion = form.get('assertion');
  if (assertion === null || assertion.length > 8192) throw new OAuthError('invalid_request', 'assertion is required');
  const stored = (await db.select().from(schema.settings).where(eq(schema.settings.key, TRUSTED_ISSUERS_SETTING)).limit(1))[0]?.value;
  const trusted = TrustedIssuers.safeParse(stored ?? []);
  let iss: unknown;
  try {
    iss = decodeJwt(assertion).iss;
  } catch {
    throw new OAuthError('invalid_grant', 'The assertion is not a JWT');
  }
  const idp = trusted.success ? trusted.data.find((t) => t.issuer === iss) : undefined;
  if (idp === undefined) throw new OAuthError('invalid_grant', 'The assertion is not from a trusted issuer');
  let sub: string;
  try {
    const { payload } = await jwtVerify(assertion, createLocalJWKSet(idp.jwks as JSONWebKeySet), {
      issuer: idp.issuer,
      audience: [env.ISSUER, `${env.ISSUER}/oauth2/token`],
      algorithms: idp.algorithms,
      requiredClaims: ['sub', 'exp'],
      maxTokenAge: '1h',
      clockTolerance: 30,
    });
    sub = String(payload.sub);
  } catch (err) {
    if (err instanceof errors.JOSEError) throw new OAuthError('invalid_grant', 'The assertion is invalid, expired or not for this server');
    throw err;
  }
  const issued = await issueAccessToken(env, db, client, { subject: sub, requestedScopes: requestedScopes(form) });
  return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope };
}

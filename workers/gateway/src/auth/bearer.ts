import type { SnapshotApi } from '../../../shared/snapshot.ts';
import type { CompiledSnapshot } from '../snapshot/store.ts';
import { cachedAccessToken, verifyAccessToken, type TokenCheck } from './access-token.ts';
import { verifyExternalToken } from './external/verify.ts';

/** The checks a bearer token goes through, in `checkBearer`'s order (an object, so a test can count the calls). */
export const bearerChecks = { cached: cachedAccessToken, external: verifyExternalToken, own: verifyAccessToken };

/**
 * A bearer token's check. A token this snapshot version already verified as Turnpike's own is
 * answered from the verified-token cache first: on an API that accepts external key managers the
 * external check would otherwise decode every Turnpike token again only to find Turnpike's issuer.
 * Then the external key managers the API accepts (decision 0036), whose null hands the token to
 * Turnpike's own verification.
 */
export async function checkBearer(env: Env, token: string, compiled: CompiledSnapshot, api: SnapshotApi): Promise<TokenCheck> {
  return (
    bearerChecks.cached(token, compiled) ??
    (await bearerChecks.external(env, token, compiled, api)) ??
    (await bearerChecks.own(token, compiled))
  );
}

/**
 * What the gateway's verified-token cache saves: `verifyAccessToken` over distinct ES256 access
 * tokens, first when none is cached (a full jose verification each) and then again when all are,
 * microseconds per call, in this process (no I/O). Node's WebCrypto stands in for workerd's.
 */
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { verifyAccessToken } from '../../workers/gateway/src/auth/access-token.ts';
import { compile } from '../../workers/gateway/src/snapshot/store.ts';
import type { GatewaySnapshot, PublicJwk } from '../../workers/shared/snapshot.ts';

export async function measureTokenVerification(tokens = 2000): Promise<{ verifyMicros: number; cachedMicros: number }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' } as PublicJwk;
  const snapshot: GatewaySnapshot = {
    version: 1,
    environment: 'bench',
    compiledAt: 0,
    issuer: 'https://issuer.bench',
    audience: 'turnpike-gateway',
    jwks: [jwk],
    allowPrivateBackends: true,
    apis: [],
  };
  const compiled = await compile(snapshot);
  const now = Math.floor(Date.now() / 1000);
  const signed: string[] = [];
  for (let i = 0; i < tokens; i++) {
    signed.push(
      await new SignJWT({ client_id: `client${i}`, application_id: `app${i}`, key_type: 'PRODUCTION', scope: 'read' })
        .setProtectedHeader({ alg: 'ES256', kid: 'bench', typ: 'at+jwt' })
        .setIssuer(snapshot.issuer)
        .setAudience(snapshot.audience)
        .setSubject(`user${i}`)
        .setJti(`jti${i}`)
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(privateKey),
    );
  }
  const pass = async () => {
    const started = process.hrtime.bigint();
    for (const token of signed) if (!(await verifyAccessToken(token, compiled)).ok) throw new Error('a bench token did not verify');
    return Number(process.hrtime.bigint() - started) / 1000 / signed.length;
  };
  const verifyMicros = await pass();
  const cachedMicros = await pass();
  return { verifyMicros: Math.round(verifyMicros), cachedMicros: Number(cachedMicros.toFixed(2)) };
}

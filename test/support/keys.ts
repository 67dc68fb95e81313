import { exportJWK, generateKeyPair } from 'jose';

/** A fresh ES256 signing key as the control plane's SIGNING_KEYS secret expects it. */
export async function generateSigningKeys(kid = `dev-${Date.now().toString(36)}`): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return JSON.stringify([{ ...jwk, kid, alg: 'ES256', use: 'sig' }]);
}

export function randomBase64url(bytes = 32): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('base64url');
}

import { exportJWK, generateKeyPair } from 'jose';

/** A fresh ES256 private JWK as JSON, with `kid`: one entry of SIGNING_KEYS, or BACKEND_JWT_KEY itself. */
export async function privateJwk(kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' });
}

/** `bytes` random bytes, base64url: bootstrap tokens, ENCRYPTION_KEY, generated passwords. */
export function randomBase64url(bytes = 32): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('base64url');
}

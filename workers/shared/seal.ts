/**
 * Secrets that must be usable again (endpoint credentials, webhook signing secrets), so they cannot
 * be hashed: AES-256-GCM under the deployment's ENCRYPTION_KEY (base64url, 32 bytes), a fresh 96-bit
 * IV each time, sealed as `v1.<iv>.<ciphertext and tag>`. Opening fails on any tampering. `context`
 * (e.g. the row's id) is authenticated as additional data, so a value copied onto another row does
 * not open there.
 */
import { base64url, fromBase64url } from './crypto.ts';

const keys = new Map<string, Promise<CryptoKey>>();

function keyOf(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    const raw = fromBase64url(secret);
    if (raw.byteLength !== 32) throw new Error('ENCRYPTION_KEY must be 32 bytes, base64url');
    key = crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
    keys.set(secret, key);
  }
  return key;
}

export async function seal(secret: string, plaintext: string, context = ''): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(context) },
    await keyOf(secret),
    new TextEncoder().encode(plaintext),
  );
  return `v1.${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
}

export async function unseal(secret: string, sealed: string, context = ''): Promise<string> {
  const [version, iv, data] = sealed.split('.');
  if (version !== 'v1' || iv === undefined || data === undefined) throw new Error('not a sealed value');
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: fromBase64url(iv), additionalData: new TextEncoder().encode(context) },
    await keyOf(secret),
    fromBase64url(data),
  );
  return new TextDecoder().decode(plain);
}

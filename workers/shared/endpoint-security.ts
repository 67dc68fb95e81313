/**
 * Credentials the gateway presents to a backend (WSO2's endpoint security): HTTP Basic or one header
 * with a secret value. Stored as JSON whose secret part is sealed (AES-GCM, see seal.ts), so the
 * publisher API can say what is configured without ever echoing the secret, and revisions and
 * snapshots carry only the sealed form. Only the gateway opens it, per call, from memory.
 */
import { base64 } from './crypto.ts';
import { seal, unseal } from './seal.ts';

export type EndpointSecurityInput =
  | { readonly type: 'basic'; readonly username: string; readonly password: string }
  | { readonly type: 'header'; readonly name: string; readonly value: string };
export type EndpointSecurityView =
  { readonly type: 'basic'; readonly username: string } | { readonly type: 'header'; readonly name: string };
type Stored = EndpointSecurityView & { readonly sealed: string };

export async function storeSecurity(key: string, input: EndpointSecurityInput): Promise<string> {
  const stored: Stored =
    input.type === 'basic'
      ? { type: 'basic', username: input.username, sealed: await seal(key, input.password) }
      : { type: 'header', name: input.name.toLowerCase(), sealed: await seal(key, input.value) };
  return JSON.stringify(stored);
}

/** What the publisher API shows: the kind and the non-secret part. */
export function describeSecurity(stored: string | null | undefined): EndpointSecurityView | null {
  if (stored === null || stored === undefined) return null;
  const s = JSON.parse(stored) as Stored;
  return s.type === 'basic' ? { type: 'basic', username: s.username } : { type: 'header', name: s.name };
}

/** The headers to send to the backend; throws when the value cannot be opened (the call must then fail). */
export async function securityHeaders(key: string, stored: string): Promise<Record<string, string>> {
  const s = JSON.parse(stored) as Stored;
  const secret = await unseal(key, s.sealed);
  if (s.type === 'header') return { [s.name]: secret };
  return { authorization: `Basic ${base64(new TextEncoder().encode(`${s.username}:${secret}`))}` };
}

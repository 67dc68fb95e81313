import type { Context } from 'hono';
import type { AppEnv } from '../types.ts';
import { OAuthError } from './errors.ts';

const FORM_LIMIT = 16 * 1024;

/** The form body of an OAuth endpoint (RFC 6749 §3.2: application/x-www-form-urlencoded), bounded. */
export async function formOf(c: Context<AppEnv>): Promise<URLSearchParams> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded');
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > FORM_LIMIT) throw new OAuthError('invalid_request', 'The request body is too large');
  const bytes = await c.req.arrayBuffer();
  if (bytes.byteLength > FORM_LIMIT) throw new OAuthError('invalid_request', 'The request body is too large');
  const form = new URLSearchParams(new TextDecoder().decode(bytes));
  // RFC 6749 §3.1 / §3.2: parameters must not be repeated.
  const names = [...form.keys()];
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated !== undefined) throw new OAuthError('invalid_request', `The parameter ${repeated} is repeated`);
  return form;
}

// RFC 6749 §3.3: scope = scope-token *( SP scope-token ), scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;

/** The requested scopes, or null when the parameter is absent; malformed values are invalid_scope. */
export function requestedScopes(form: URLSearchParams): string[] | null {
  const scope = form.get('scope');
  if (scope === null) return null;
  if (scope === '') return [];
  if (scope.length > 2000 || !SCOPE.test(scope)) throw new OAuthError('invalid_scope', 'The scope is malformed (RFC 6749 §3.3)');
  return [...new Set(scope.split(' '))];
}

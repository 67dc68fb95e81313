import { authApi } from './api/devportal.ts';
import type { Me } from './api/types.ts';

/** The signed-in user, read once from /api/auth/session (null for a visitor) and dropped on sign-out. */
let me: Me | null = null;
let known = false;

export async function currentUser(): Promise<Me | null> {
  if (known) return me;
  try {
    const s = await authApi.session();
    me = s.user === null ? null : { user: s.user, scopes: s.scopes };
    known = true;
  } catch {
    me = null;
  }
  return me;
}

/** The hash of a sign-in page that brings the visitor back to `back` (a portal path such as /apis/x) afterwards. */
export function signInHref(back: string = location.hash.replace(/^#/, '')): string {
  return back === '' || back.startsWith('/signin') ? '#/signin' : `#/signin?next=${encodeURIComponent(back)}`;
}

/** Where to go after signing in: the `next` of the sign-in page's hash if it is a portal path, else the catalog. */
export function afterSignIn(): string {
  const next = new URLSearchParams(location.hash.split('?')[1] ?? '').get('next');
  // Only a path of this portal's router: never another origin or a scheme.
  return next !== null && /^\/[A-Za-z0-9]/.test(next) && !next.startsWith('/signin') ? `#${next}` : '#/catalog';
}

export function signedOut(): void {
  me = null;
  known = true;
}

export function can(scope: string): boolean {
  return me?.scopes.includes(scope) === true;
}

export function user(): Me | null {
  return me;
}

/** After signing in: read the user again. */
export async function refreshUser(): Promise<Me | null> {
  me = null;
  known = false;
  return currentUser();
}

import { authApi } from './api/devportal.ts';
import type { Me } from './api/types.ts';

/** The signed-in user, read once from /api/auth/me and dropped on sign-out. */
let me: Me | null = null;

export async function currentUser(): Promise<Me | null> {
  if (me !== null) return me;
  try {
    me = await authApi.me();
  } catch {
    me = null;
  }
  return me;
}

export function signedOut(): void {
  me = null;
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
  return currentUser();
}

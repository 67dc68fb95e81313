import { securityHeaders } from '../../../shared/endpoint-security.ts';
import { BoundedCache } from '../../../shared/lru.ts';
import { ApiError } from '../../../shared/problem.ts';

// Opened once per sealed value and isolate, not per call; a changed credential is a new value.
const opened = new BoundedCache<string, Record<string, string>>({ maxEntries: 1000, maxAgeMs: 600_000 });

/**
 * The headers that authenticate the gateway to a backend with endpoint security. A credential that
 * cannot be opened fails the call (502) rather than reaching the backend without it.
 */
export async function backendSecurity(env: Env, sealed: string): Promise<Record<string, string>> {
  const cached = opened.get(sealed);
  if (cached !== undefined) return cached;
  try {
    const headers = await securityHeaders(env.ENCRYPTION_KEY, sealed);
    opened.set(sealed, headers);
    return headers;
  } catch (cause) {
    throw new ApiError('bad-gateway', { detail: "The backend's credentials could not be opened", cause });
  }
}

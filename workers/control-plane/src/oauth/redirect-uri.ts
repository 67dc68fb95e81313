/**
 * Which redirect (callback) URIs a client may register and be sent to. RFC 9700 §2.1 and §4.1:
 * exact matching only, and only web schemes — `https:`, or `http:` on the loopback interface for
 * native apps (RFC 8252 §7.3). A `javascript:`, `data:` or other scheme would run or render the
 * authorization response in the authorization server's context. RFC 6749 §3.1.2: absolute, no
 * fragment; and no userinfo, which only serves to disguise where the user is sent.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
export const REDIRECT_URI_MAX_LENGTH = 2000;

/** Why a redirect URI may not be registered or used, or null when it may. */
export function redirectUriProblem(raw: string): string | null {
  if (raw.length > REDIRECT_URI_MAX_LENGTH) return `Longer than ${REDIRECT_URI_MAX_LENGTH} characters`;
  // The URL parser silently drops tabs and newlines ("java\nscript:") and trims spaces: refuse them first.
  if ([...raw].some((ch) => ch.charCodeAt(0) <= 0x20 || (ch.charCodeAt(0) >= 0x7f && ch.charCodeAt(0) <= 0x9f)))
    return 'Contains whitespace or control characters';
  if (!URL.canParse(raw)) return 'Not an absolute URL';
  const url = new URL(raw);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return `The scheme ${url.protocol} is not allowed; use https: (or http: on a loopback address)`;
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname))
    return 'http: is allowed only for 127.0.0.1, [::1] or localhost; use https:';
  if (raw.includes('#')) return 'A redirect URI must not contain a fragment (RFC 6749 §3.1.2)';
  // Also an empty userinfo ("https://@host"), which the parser drops without a trace.
  if (url.username !== '' || url.password !== '' || /^[a-z][a-z0-9+.-]*:\/\/[^/?]*@/i.test(raw))
    return 'A redirect URI must not contain userinfo';
  return null;
}

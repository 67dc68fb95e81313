import { ApiError } from '../../../shared/problem.ts';

/**
 * The one canonical path of a request, computed once from the raw request target and used for
 * routing, authorization, throttling keys and what is forwarded. Anything a server or a backend
 * could read as a different path than we do is refused rather than normalised (RFC 3986 §5.2.4
 * dot-segment removal is exactly the ambiguity an attacker wants).
 */
export function canonicalPath(rawUrl: string): { path: string; search: string } {
  const target = pathAndSearch(rawUrl);
  assertUnambiguous(target.path);
  return target;
}

/**
 * The path and the query (with its `?`; empty without one) of an absolute URL, as written, without a
 * check: the path starts at the first `/` after `://` and ends at the query or the fragment.
 */
export function pathAndSearch(rawUrl: string): { path: string; search: string } {
  const afterScheme = rawUrl.indexOf('://');
  const pathStart = afterScheme === -1 ? 0 : rawUrl.indexOf('/', afterScheme + 3);
  if (pathStart === -1) return { path: '/', search: '' };
  let end = rawUrl.length;
  const hash = rawUrl.indexOf('#', pathStart);
  if (hash !== -1) end = hash;
  const query = rawUrl.indexOf('?', pathStart);
  const pathEnd = query !== -1 && query < end ? query : end;
  return { path: rawUrl.slice(pathStart, pathEnd), search: pathEnd < end ? rawUrl.slice(pathEnd, end) : '' };
}

const FORBIDDEN_ENCODED = /%(2f|5c|2e|00|0d|0a|09|3b|25)/i;

function assertUnambiguous(path: string): void {
  const refuse = (detail: string) => new ApiError('ambiguous-path', { detail });
  if (!path.startsWith('/')) throw refuse('The path must be absolute');
  if (path.length > 4096) throw refuse('The path is too long');
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x21 || c === 0x7f || c > 0x7e) throw refuse('The path contains a control, space or non-ASCII character');
  }
  if (path.includes('\\')) throw refuse('The path contains a backslash');
  if (path.includes(';')) throw refuse('The path contains a ";" path parameter');
  if (path.includes('%')) {
    if (FORBIDDEN_ENCODED.test(path)) throw refuse('The path contains an encoded separator, dot, percent or control character');
    if (/%(?![0-9a-f]{2})/i.test(path)) throw refuse('The path contains a malformed percent-encoding');
  }
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i];
    if (s === '.' || s === '..') throw refuse('The path contains a dot segment');
    if (s === '' && i < segments.length - 1) throw refuse('The path contains an empty segment');
  }
}

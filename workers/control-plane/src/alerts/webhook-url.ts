import { isPrivateHost } from '../publisher/deployments/private-hosts.ts';

export const WEBHOOK_URL_MAX = 2048;

/** Syntax only (zod refinement): an absolute http(s) URL without credentials or fragment. */
export function webhookUrlSyntaxError(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'An absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'An https URL';
  if (url.username !== '' || url.password !== '') return 'No credentials in the URL: the payload is signed instead';
  if (url.hash !== '') return 'No fragment';
  return null;
}

function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Where the control plane may be told to POST (SSRF): https to a public host; private, loopback and
 * link-local hosts, and plain http to loopback, only where the rule's API is deployed to a gateway
 * environment that allows private backends (a local or development setup). Hostnames are judged by
 * name, as for backends.
 */
export function webhookUrlRefusal(value: string, allowPrivate: boolean): string | null {
  const url = new URL(value);
  if (url.protocol === 'http:') {
    if (!isLoopback(url)) return 'Webhooks must use https (plain http only to loopback in a development environment)';
    if (!allowPrivate) return 'Plain http to loopback needs the API deployed to an environment that allows private backends';
    return null;
  }
  if (isPrivateHost(value) && !allowPrivate)
    return 'A private or loopback host needs the API deployed to an environment that allows private backends';
  return null;
}

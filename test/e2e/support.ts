import { createServer, type IncomingHttpHeaders } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Client } from '../../scripts/lib/seed.ts';

/** Creates an API as `publisher`, publishes it and deploys its first revision to production; its id. */
export async function publishApi(publisher: Client, definition: Record<string, unknown>): Promise<string> {
  const api = await publisher.expect<{ id: string }>([201], 'POST', '/api/publisher/v1/apis', definition);
  await publisher.expect([200], 'POST', `/api/publisher/v1/apis/${api.body.id}/lifecycle`, { state: 'PUBLISHED' });
  const revision = await publisher.expect<{ id: string }>([201], 'POST', `/api/publisher/v1/apis/${api.body.id}/revisions`, {});
  await publisher.expect([201], 'POST', `/api/publisher/v1/apis/${api.body.id}/deployments`, {
    revisionId: revision.body.id,
    environments: ['production'],
  });
  return api.body.id;
}

export interface WebhookDelivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on loopback: records every request the control plane sends when an alert fires, answers 204. */
export async function webhookReceiver(path: string): Promise<{ url: string; received: WebhookDelivery[]; close: () => Promise<void> }> {
  const received: WebhookDelivery[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A client-credentials token from the gateway's own hostname (it hands /oauth2/token to the Key Manager). */
export async function clientCredentialsToken(tokenUrl: string, clientId: string, clientSecret: string, scope?: string): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  if (scope !== undefined) body.set('scope', scope);
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body,
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/**
 * Sends a request byte for byte, so paths that fetch would normalise (dot segments, backslashes)
 * reach the server exactly as an attacker would send them.
 */
export function rawRequest(
  baseUrl: string,
  requestTarget: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: string; body: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let data = '';
    socket.setTimeout(15_000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', ...rest] = data.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, headers: head, body: rest.join('\r\n\r\n') });
    });
    const lines = [
      `${method} ${requestTarget} HTTP/1.1`,
      `Host: ${url.host}`,
      'Connection: close',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      '',
      '',
    ];
    socket.write(lines.join('\r\n'));
  });
}

/** The newest mail to `to` in the platform's mail folder that holds a link to `view`, waiting for it. */
export async function mailedLink(mailDir: string, to: string, view: 'verify' | 'reset'): Promise<string> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    let files: string[] = [];
    try {
      files = readdirSync(mailDir)
        .filter((f) => f.endsWith('.eml'))
        .sort()
        .reverse();
    } catch {
      /* no mail yet */
    }
    for (const file of files) {
      const raw = readFileSync(join(mailDir, file), 'utf8');
      const link = new RegExp(`https?://\\S+/#/${view}/tp[vr]_[A-Za-z0-9_-]+`).exec(raw)?.[0];
      if (new RegExp(`^To: ${to.replace(/[.+]/g, '\\$&')}\\s*$`, 'im').test(raw) && link !== undefined) return link;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no ${view} mail to ${to} in ${mailDir}`);
}

/** A developer signed up through the API with the mailed link followed: what a person does in two steps (decision 0026). */
export async function signUpVerified(
  anon: Client,
  mailDir: string,
  body: { email: string; password: string; displayName: string },
): Promise<void> {
  await anon.expect([202], 'POST', '/api/devportal/v1/signup', body);
  const token = (await mailedLink(mailDir, body.email, 'verify')).split('/').pop();
  await anon.expect([200, 204], 'POST', '/api/auth/verify-email', { token });
}

/**
 * A user signs in and allows on the Key Manager's consent page, as a browser posts its form: the
 * page is fetched from `authorizeUrl`, its hidden fields are posted back with the user's
 * credentials to the same endpoint, from the control plane's own Origin. The consent page's
 * response and the redirect back (the `location` of the 302) are returned.
 */
export async function allowOnConsentPage(
  authorizeUrl: URL,
  user: { readonly email: string; readonly password: string },
): Promise<{ page: Response; back: URL }> {
  const page = await fetch(authorizeUrl);
  if (page.status !== 200) throw new Error(`consent page answered ${page.status}: ${await page.text()}`);
  const form = new URLSearchParams(
    [...(await page.text()).matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
      m[1] ?? '',
      (m[2] ?? '').replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))),
    ]),
  );
  form.set('email', user.email);
  form.set('password', user.password);
  form.set('decision', 'allow');
  const allowed = await fetch(new URL(authorizeUrl.pathname, authorizeUrl.origin), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: authorizeUrl.origin },
    body: form,
    redirect: 'manual',
  });
  if (allowed.status !== 302) throw new Error(`the consent form answered ${allowed.status}: ${await allowed.text()}`);
  return { page, back: new URL(allowed.headers.get('location') ?? '') };
}

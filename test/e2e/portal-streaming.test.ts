import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { shots, useBrowser } from './browser.ts';
import { publishApi } from './support.ts';

/**
 * The portal's WebSocket and SSE APIs in Debian's Chromium (decision 0053): type badges in the
 * catalog, the channels with their connection URLs, and the consoles through the portal's try-it
 * proxy — a WebSocket echoed by the demo Echo WebSocket API, an event stream shown as it arrives.
 */
const { portalUrl, controlPlaneUrl, gatewayUrl, demoBackendUrl, demo } = usePlatform();
const { dialogs, signIn } = useBrowser(portalUrl);
const stamp = Date.now().toString(36);
const sse = { name: `Ticker ${stamp}`, context: `/ticker${stamp}` };
let sseApiId = '';

beforeAll(async () => {
  const anon = new Client(controlPlaneUrl);
  const publisher = await tokenFor(anon, demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view']);
  sseApiId = await publishApi(publisher, {
    type: 'SSE',
    name: sse.name,
    context: sse.context,
    version: 'v1',
    subscriptionTiers: ['Unlimited'],
    resources: [{ method: 'GET', path: '/events', authType: 'oauth2' }],
    endpoints: { production: { urls: [{ url: demoBackendUrl, timeoutMs: 5000 }] } },
    streaming: { maxDurationSeconds: 60 },
  });
  const developer = await tokenFor(anon, demo.users.developer, ['apps:manage', 'subscriptions:manage']);
  await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', {
    applicationId: demo.application.id,
    apiId: sseApiId,
    tier: 'Unlimited',
  });
});

/** The catalog card of the API named `name`, found by the catalog's own search (other tests add APIs). */
async function cardType(page: Page, name: string, apiId: string): Promise<string> {
  await page.fill('#search', name);
  const badge = await page.waitForSelector(`#catalog [data-api="${apiId}"] [data-api-type]`);
  return (await badge.textContent()) ?? '';
}

async function testToken(page: Page): Promise<void> {
  await page.click('#try-get-token');
  await page.waitForSelector('#try-credentials .ok');
}

describe('portal: WebSocket and SSE APIs', () => {
  it("shows each API's type as a badge in the catalog and on its page", async () => {
    const page = await signIn(demo.users.developer);
    expect(await cardType(page, demo.websocketApi.name, demo.websocketApi.id)).toBe('WebSocket');
    expect(await cardType(page, sse.name, sseApiId)).toBe('SSE');
    expect(await cardType(page, demo.graphql.name, demo.graphql.id)).toBe('GraphQL');
    expect(await cardType(page, demo.api.name, demo.api.id)).toBe('REST');
    await page.goto(`${portalUrl}/#/apis/${demo.websocketApi.id}`);
    await page.waitForSelector('#api-type');
    expect(await page.textContent('#api-type')).toBe('WebSocket');
    expect(await page.textContent('[data-api-type]')).toBe('WebSocket');
    expect(await page.textContent('nav.tabs')).toContain('Channels & console');
    expect(dialogs).toEqual([]);
  });

  it('echoes a frame through the demo Echo WebSocket API in the console, and shows the close with its meaning', async () => {
    const page = await signIn(demo.users.developer);
    await page.goto(`${portalUrl}/#/apis/${demo.websocketApi.id}/reference`);
    await page.waitForSelector('#ws-console');
    // The channel and the URL a client connects to at the gateway itself, with the limits.
    expect(await page.textContent('#streaming-channels [data-channel="/echo"] .connection-url')).toBe(demo.websocketApi.url);
    const limits = (await page.textContent('#streaming-limits')) ?? '';
    expect(limits).toContain('bearer.<token>');
    // The demo API's own streaming limits, from the catalog (seed.ts: 10 connections, 5 min idle).
    expect(limits).toContain('Connections per subscription10');
    expect(limits).toContain('Idle timeout5 min');
    expect(await page.textContent('#close-codes')).toContain('4401 credential revoked');

    await testToken(page);
    await page.click('#ws-connect');
    await page.waitForSelector('#ws-status [data-state="open"]');
    await page.fill('#ws-message', `hello from Chromium ${stamp}`);
    await page.click('#ws-send');
    const echoed = await page.waitForSelector('#ws-log .frame.in');
    expect(await echoed.textContent()).toContain(`← hello from Chromium ${stamp}`);
    // What the backend saw of the handshake: the token went as a subprotocol and never reached it.
    await page.fill('#ws-message', '__handshake');
    await page.click('#ws-send');
    const handshake = await page.waitForSelector('#ws-log .frame.in:has-text("sec-websocket-key")');
    const seen = (await handshake.textContent()) ?? '';
    expect(seen).toContain('upgrade');
    expect(seen).not.toContain('bearer.');
    expect(seen.toLowerCase()).not.toContain('authorization');
    await page.screenshot({ path: join(shots, 'websocket-console.png'), fullPage: true });

    await page.click('#ws-disconnect');
    await page.waitForSelector('#ws-status [data-close="1000"]');
    expect(await page.textContent('#ws-status')).toContain('normal closure');
    expect(dialogs).toEqual([]);
  });

  it("closes the console's socket with 4401 and says why once its test token is revoked", async () => {
    const page = await signIn(demo.users.developer);
    await page.goto(`${portalUrl}/#/apis/${demo.websocketApi.id}/reference`);
    await page.waitForSelector('#ws-console');
    await testToken(page);
    const token = await page.inputValue('#try-credential');
    await page.click('#ws-connect');
    await page.waitForSelector('#ws-status [data-state="open"]');
    const res = await fetch(`${gatewayUrl}/oauth2/revoke`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${demo.application.clientId}:${demo.application.clientSecret}`)}`,
      },
      body: new URLSearchParams({ token }),
    });
    expect(res.status).toBe(200);
    // Within the WebSocket recheck bound (5 s, decision 0042) and a margin.
    await page.waitForSelector('#ws-status [data-close="4401"]', { timeout: 8000 });
    expect(await page.textContent('#ws-status')).toContain('credential revoked or expired');
    expect(await page.textContent('#ws-log .frame.close')).toContain('closed 4401');
  });

  it('shows the events of an SSE API in the console as they arrive, through the try-it proxy', async () => {
    const page = await signIn(demo.users.developer);
    await page.goto(`${portalUrl}/#/apis/${sseApiId}/reference`);
    await page.waitForSelector('#sse-console');
    expect(await page.textContent('#streaming-channels [data-channel="/events"] .connection-url')).toBe(
      `${gatewayUrl}${sse.context}/v1/events`,
    );
    await testToken(page);
    await page.fill('#sse-query', 'count=4&intervalMs=700');
    await page.click('#sse-open');
    const first = await page.waitForSelector('#sse-log .frame.event');
    expect(await first.textContent()).toMatch(/tick #1: \{"n":1,/);
    // The first event is on the page while the stream still runs: nothing buffered it on the way.
    expect(await page.$('#sse-status [data-ended]')).toBeNull();
    await page.waitForSelector('#sse-status [data-ended="4"]');
    expect(await page.getAttribute('#sse-status [data-status]', 'data-status')).toBe('200');
    const events = await page.$$eval('#sse-log .frame.event', (items) => items.map((i) => i.textContent ?? ''));
    expect(events.map((e) => /tick #(\d)/.exec(e)?.[1])).toEqual(['1', '2', '3', '4']);
    await page.screenshot({ path: join(shots, 'sse-console.png'), fullPage: true });
    expect(dialogs).toEqual([]);
  });

  it('refuses a WebSocket handshake at the try-it proxy from any origin but the portal', async () => {
    const { default: WebSocket } = await import('ws');
    const url = `${portalUrl.replace(/^http/, 'ws')}/gateway/production${demo.websocketApi.context}/echo`;
    const status = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(url, { headers: { origin } });
        socket.on('open', () => {
          socket.close();
          resolve(101);
        });
        socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.on('error', reject);
      });
    expect(await status('https://attacker.example')).toBe(400);
    // The portal's own origin passes the proxy's fence: the gateway then asks for a credential.
    expect(await status(new URL(portalUrl).origin)).toBe(401);
  });
});

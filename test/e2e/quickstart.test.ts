import { describe, expect, it } from 'vitest';
import { usePlatform } from '../support/platform.ts';
import { clientCredentialsToken } from './support.ts';

/** What the README promises a newcomer after `npm start`: a token, a successful call, a 429. */
describe('quick start', () => {
  const { gatewayUrl, gatewayInternalUrl, demo } = usePlatform();

  it('issues a token, proxies the call and throttles at the demo tier', { timeout: 150_000 }, async () => {
    const token = await clientCredentialsToken(`${gatewayUrl}/oauth2/token`, demo.application.clientId, demo.application.clientSecret);
    // Start with a whole, unused window ahead, as a newcomer has: other suites (the portal's try-it)
    // call the Demo App too, so wait for the next minute window (windows are aligned to the epoch).
    await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 1000));
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < demo.api.limitPerMinute + 2; i++) {
      last = await fetch(`${gatewayUrl}${demo.api.context}/pets`, { headers: { authorization: `Bearer ${token}` } });
      statuses.push(last.status);
      if (i === 0) {
        expect(last.headers.get('ratelimit-policy')).toContain(`q=${demo.api.limitPerMinute}`);
        const pets = (await last.json()) as Array<{ name: string }>;
        expect(pets.map((p) => p.name)).toContain('Rex');
      } else await last.arrayBuffer();
    }
    expect(statuses).toEqual([...Array<number>(demo.api.limitPerMinute).fill(200), 429, 429]);
    // The internal environment's gateway serves the same API against the same quota: one Traffic Manager.
    const internal = await fetch(`${gatewayInternalUrl}${demo.api.context}/pets`, { headers: { authorization: `Bearer ${token}` } });
    await internal.arrayBuffer();
    expect(internal.status).toBe(429);
    const windowLeft = Number(internal.headers.get('retry-after'));
    const over = await fetch(`${gatewayUrl}${demo.api.context}/pets`, { headers: { authorization: `Bearer ${token}` } });
    if (over.status === 429) {
      expect(over.headers.get('content-type')).toBe('application/problem+json');
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await over.json()) as { code: number }).code).toBe(900804);
    }
    // Leave the Demo App's quota as the suites after this one expect it (the portal's try-it calls
    // the Petstore with it and wants a 200): wait for the window this test spent to end.
    expect(windowLeft).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, windowLeft * 1000 + 500));
  });

  it('lists both gateway environments, each serving the demo API, in demo.json', async () => {
    expect(demo.environments.map((e) => e.name)).toEqual(['production', 'internal']);
    for (const e of demo.environments) {
      expect(e.apis).toContain(demo.api.context);
      const health = (await (await fetch(`${e.gatewayUrl}/_turnpike/health`)).json()) as { environment: string };
      expect(health.environment).toBe(e.name);
      expect((await fetch(`${e.gatewayUrl}${demo.api.context}/pets`)).status).toBe(401);
    }
  });

  it('refuses the call without a token', async () => {
    const res = await fetch(`${gatewayUrl}${demo.api.context}/pets`);
    expect(res.status).toBe(401);
    // RFC 9728 §5.1: the challenge names the API's protected resource metadata.
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="turnpike", resource_metadata="${gatewayUrl}/.well-known/oauth-protected-resource${demo.api.context}"`,
    );
  });
});

import { SELF } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ORIGIN, api, db, userWithRole } from '../../../../test/workers/control-plane-helpers.ts';
import { oauthClient, pkce } from '../../../../test/workers/oauth-helpers.ts';
import { schema } from '../db.ts';
import { redirectUriProblem } from './redirect-uri.ts';

const REFUSED = [
  'javascript:alert(1)',
  'JavaScript:alert(document.domain)//https://client.example/cb',
  'java\nscript:alert(1)',
  ' https://client.example/cb',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  'file:///etc/passwd',
  'ftp://client.example/cb',
  'com.example.app:/callback',
  'http://client.example/cb',
  'http://127.0.0.1.nip.io/cb',
  'http://localhost.evil.example/cb',
  'https://client.example/cb#frag',
  'https://client.example/cb#',
  'https://user:pass@client.example/cb',
  'https://@client.example/cb',
  'https://client.example@evil.example/cb',
  '/relative/cb',
  'https://',
  `https://client.example/${'a'.repeat(2000)}`,
];
const ALLOWED = [
  'https://client.example/cb',
  'https://client.example/cb?x=1',
  'http://127.0.0.1:8123/cb',
  'http://[::1]/cb',
  'http://localhost:3000/callback',
  'https://client.example',
];

describe('redirect URIs are web URLs only (RFC 9700 §2.1, §4.1)', () => {
  it('names what is wrong with every non-web, fragment or userinfo URI, and accepts https: and loopback http:', () => {
    for (const uri of REFUSED) expect(redirectUriProblem(uri), JSON.stringify(uri)).not.toBeNull();
    for (const uri of ALLOWED) expect(redirectUriProblem(uri), uri).toBeNull();
  });

  it('refuses such a callback URL when keys are generated, with a 400 naming the field', async () => {
    const dev = await userWithRole('developer');
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Callbacks' });
    for (const uri of REFUSED) {
      const res = await api<{ errors: Array<{ pointer: string }> }>('POST', `/api/devportal/v1/applications/${app.body.id}/keys`, dev, {
        keyType: 'PRODUCTION',
        grantTypes: ['authorization_code'],
        callbackUrls: ['https://client.example/ok', uri],
      });
      expect(res.status, JSON.stringify(uri)).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(
        res.body.errors.map((e) => e.pointer),
        JSON.stringify(uri),
      ).toContain('/callbackUrls/1');
    }
    const ok = await api<{ callbackUrls: string[] }>('POST', `/api/devportal/v1/applications/${app.body.id}/keys`, dev, {
      keyType: 'PRODUCTION',
      grantTypes: ['authorization_code'],
      callbackUrls: ALLOWED,
    });
    expect(ok.status).toBe(201);
    expect(ok.body.callbackUrls).toEqual(ALLOWED);
  });

  it('never redirects to a non-web URI that was stored before the check, even when it matches exactly', async () => {
    const client = await oauthClient('Old callbacks');
    const stored = 'javascript:alert(document.cookie)//';
    await db
      .update(schema.applicationKeys)
      .set({ callbackUrls: [stored] })
      .where(eq(schema.applicationKeys.consumerKey, client.id));
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: client.id,
      redirect_uri: stored,
      code_challenge: (await pkce()).challenge,
      code_challenge_method: 'S256',
    });
    for (const res of [
      await SELF.fetch(`${ORIGIN}/oauth2/authorize?${query}`, { redirect: 'manual' }),
      await SELF.fetch(`${ORIGIN}/oauth2/authorize?${query}&response_type=token`, { redirect: 'manual' }),
    ]) {
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
  });
});

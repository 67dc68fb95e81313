import { describe, expect, it } from 'vitest';
import { api, apiBody, userWithRole, type ProblemBody } from '../../../../test/workers/control-plane-helpers.ts';

describe('backend URLs', () => {
  it('answers an endpoint URL the URL parser refuses with 400 naming the field, never 500', async () => {
    const publisher = await userWithRole('publisher');
    for (const url of ['_', 'http://a b', 'http://[::1', 'https://x:99999/', '', 'http://', '//x', 'ftp://x', 'http://user:pw@x']) {
      const res = await api<ProblemBody>(
        'POST',
        '/api/publisher/v1/apis',
        publisher,
        apiBody({ endpoints: { production: { urls: [{ url }] } } }),
      );
      expect(res.status, url).toBe(400);
      expect(
        res.body.errors?.map((e) => e.pointer),
        url,
      ).toContain('/endpoints/production/urls/0/url');
    }
  });
});

describe('names under Unicode', () => {
  const nfc = 'caf\u00e9';
  const nfd = 'cafe\u0301';

  it('treats the NFC and NFD spellings of an application name as one name', async () => {
    const developer = await userWithRole('developer');
    expect((await api('POST', '/api/devportal/v1/applications', developer, { name: nfc })).status).toBe(201);
    const again = await api<ProblemBody>('POST', '/api/devportal/v1/applications', developer, { name: nfd });
    expect(again.status).toBe(409);
  });

  it('stores names in NFC', async () => {
    const publisher = await userWithRole('publisher');
    const created = await api<{ id: string; name: string; tags: string[] }>(
      'POST',
      '/api/publisher/v1/apis',
      publisher,
      apiBody({ name: `${nfd} API`, tags: [nfd] }),
    );
    expect(created.status).toBe(201);
    expect(created.body.name).toBe(`${nfc} API`);
    expect(created.body.tags).toEqual([nfc]);
  });

  it('refuses control, line-separator and bidi-override characters in names', async () => {
    const developer = await userWithRole('developer');
    for (const name of ['a\u0007b', 'a\u2028b', 'evil\u202Egnp.exe', 'a\u0085b', 'a\u200Bb', 'a\u00ADb']) {
      const res = await api<ProblemBody>('POST', '/api/devportal/v1/applications', developer, { name });
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect(res.body.errors?.[0]?.pointer).toBe('/name');
    }
  });
});

import { describe, expect, it } from 'vitest';
import { api, apiBody, userWithRole } from '../../../../test/workers/control-plane-helpers.ts';

const specials = ['%', '_', '\\'];

describe('search is literal everywhere', () => {
  it('publisher API search: %, _ and \\ match only names that contain them', async () => {
    const admin = await userWithRole('admin');
    const tag = Math.random().toString(36).slice(2, 8);
    for (const ch of specials)
      expect((await api('POST', '/api/publisher/v1/apis', admin, apiBody({ name: `s${tag} 10${ch}off` }))).status).toBe(201);
    expect((await api('POST', '/api/publisher/v1/apis', admin, apiBody({ name: `s${tag} 10Xoff` }))).status).toBe(201);
    for (const ch of specials) {
      const res = await api<{ list: Array<{ name: string }> }>(
        'GET',
        `/api/publisher/v1/apis?query=${encodeURIComponent(`${tag} 10${ch}`)}`,
        admin,
      );
      expect(
        res.body.list.map((a) => a.name),
        ch,
      ).toEqual([`s${tag} 10${ch}off`]);
    }
    const all = await api<{ list: unknown[] }>('GET', `/api/publisher/v1/apis?query=${encodeURIComponent('%')}&limit=100`, admin);
    expect(all.body.list.every((a) => JSON.stringify(a).includes('%'))).toBe(true);
  });

  it('admin application search: % does not match everything', async () => {
    const admin = await userWithRole('admin');
    const developer = await userWithRole('developer');
    const tag = Math.random().toString(36).slice(2, 8);
    for (const name of [`a${tag} 5%`, `a${tag} 5_`, `a${tag} 5\\`, `a${tag} 55`])
      expect((await api('POST', '/api/devportal/v1/applications', developer, { name })).status).toBe(201);
    for (const ch of specials) {
      const res = await api<{ list: Array<{ name: string }> }>(
        'GET',
        `/api/admin/v1/applications?query=${encodeURIComponent(`${tag} 5${ch}`)}`,
        admin,
      );
      expect(
        res.body.list.map((a) => a.name),
        ch,
      ).toEqual([`a${tag} 5${ch}`]);
    }
    const percent = await api<{ list: Array<{ name: string; owner: string }> }>('GET', `/api/admin/v1/applications?query=%25`, admin);
    expect(percent.body.list.every((a) => a.name.includes('%') || a.owner.includes('%'))).toBe(true);
  });

  it('catalog search: the same literal rules', async () => {
    const publisher = await userWithRole('publisher');
    const tag = Math.random().toString(36).slice(2, 8);
    for (const name of [`c${tag} 7%`, `c${tag} 7_`, `c${tag} 77`]) {
      const created = await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, apiBody({ name }));
      expect((await api('POST', `/api/publisher/v1/apis/${created.body.id}/lifecycle`, publisher, { state: 'PUBLISHED' })).status).toBe(
        200,
      );
    }
    const res = await api<{ list: Array<{ name: string }> }>(
      'GET',
      `/api/devportal/v1/apis?query=${encodeURIComponent(`${tag} 7_`)}`,
      null,
    );
    expect(res.body.list.map((a) => a.name)).toEqual([`c${tag} 7_`]);
  });
});

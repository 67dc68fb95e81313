import { SELF, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { ORIGIN, api, apiBody, publishedApi, userWithRole } from '../../../../test/workers/control-plane-helpers.ts';
import { CreateApiBody } from '../publisher/apis/schemas.ts';

/** Decision 0057: the developer role has one name, `developer`; `subscriber` is read, never written or answered. */
describe('one name per role', () => {
  it('accepts the old role name subscriber when an admin creates a user, and stores and answers developer', async () => {
    const admin = await userWithRole('admin');
    const email = `old-name-${Date.now()}@example.com`;
    const created = await api<{ id: string; role: string }>('POST', '/api/admin/v1/users', admin, {
      email,
      password: 'correct horse battery staple',
      displayName: 'Old name',
      role: 'subscriber',
    });
    expect(created.status).toBe(201);
    expect(created.body.role).toBe('developer');
    const stored = await env.DB.prepare('SELECT role FROM users WHERE id = ?').bind(created.body.id).first<{ role: string }>();
    expect(stored?.role).toBe('developer');
    const listed = await api<{ list: Array<{ id: string; role: string }> }>('GET', '/api/admin/v1/users', admin);
    expect(listed.body.list.find((u) => u.id === created.body.id)?.role).toBe('developer');
    const audit = await env.DB.prepare(`SELECT after FROM audit_log WHERE entity_id = ?`).bind(created.body.id).first<{ after: string }>();
    expect(JSON.parse(audit?.after ?? '{}')).toMatchObject({ role: 'developer' });
  });

  it('still refuses a role name that is neither a role nor an old name of one', async () => {
    const admin = await userWithRole('admin');
    const res = await api<{ errors?: Array<{ pointer: string }> }>('POST', '/api/admin/v1/users', admin, {
      email: `no-role-${Date.now()}@example.com`,
      password: 'correct horse battery staple',
      displayName: 'No role',
      role: 'superuser',
    });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.pointer).toBe('/role');
  });

  it('stores visibleRoles that name subscriber as developer, once, for APIs and gateway environments', async () => {
    const publisher = await userWithRole('publisher');
    const created = await api<{ id: string; visibleRoles: string[] }>(
      'POST',
      '/api/publisher/v1/apis',
      publisher,
      apiBody({ visibility: 'RESTRICTED', visibleRoles: ['subscriber', 'developer'] }),
    );
    expect(created.status).toBe(201);
    expect(created.body.visibleRoles).toEqual(['developer']);
    const patched = await api<{ visibleRoles: string[] }>('PATCH', `/api/publisher/v1/apis/${created.body.id}`, publisher, {
      visibleRoles: ['publisher', 'subscriber'],
    });
    expect(patched.status).toBe(200);
    expect(patched.body.visibleRoles).toEqual(['publisher', 'developer']);
    const row = await env.DB.prepare('SELECT visible_roles FROM apis WHERE id = ?')
      .bind(created.body.id)
      .first<{ visible_roles: string }>();
    expect(JSON.parse(row?.visible_roles ?? 'null')).toEqual(['publisher', 'developer']);

    const admin = await userWithRole('admin');
    const environment = await api<{ id: string; visibleRoles: string[] }>('POST', '/api/admin/v1/environments', admin, {
      name: `old-roles-${Date.now()}`,
      displayName: 'Old roles',
      visibleRoles: ['subscriber'],
    });
    expect(environment.status).toBe(201);
    expect(environment.body.visibleRoles).toEqual(['developer']);
  });

  it('parses visibleRoles naming subscriber in a turnpike.yaml API (the schema the CLI loads it with) as developer', () => {
    const parsed = CreateApiBody.parse({ ...apiBody({ visibility: 'RESTRICTED', visibleRoles: ['subscriber'] }) });
    expect(parsed.visibleRoles).toEqual(['developer']);
  });

  it('reads a user row and visible roles still holding subscriber (written before the migration) as developer', async () => {
    const dev = await userWithRole('developer');
    await env.DB.prepare(`UPDATE users SET role = 'subscriber' WHERE id = ?`).bind(dev.id).run();
    const me = await api<{ user: { role: string } }>('GET', '/api/auth/me', dev);
    expect(me.status).toBe(200);
    expect(me.body.user.role).toBe('developer');
    // The session keeps the developer's rights: an application can be made.
    expect((await api('POST', '/api/devportal/v1/applications', dev, { name: `old row ${Date.now()}` })).status).toBe(201);
    // So does a management token: it is granted, and it is honoured, with the developer's scopes.
    const token = await api<{ token: string }>('POST', '/api/auth/tokens', dev, { name: 'old row', scopes: ['apps:manage'] });
    expect(token.status).toBe(201);
    const viaToken = await SELF.fetch(`${ORIGIN}/api/devportal/v1/applications`, {
      headers: { authorization: `Bearer ${token.body.token}` },
    });
    expect(viaToken.status).toBe(200);

    const publisher = await userWithRole('publisher');
    const tag = `oldroles${Date.now()}`;
    const apiId = await publishedApi(publisher, { tags: [tag], visibility: 'RESTRICTED', visibleRoles: ['developer'] });
    await env.DB.prepare(`UPDATE apis SET visible_roles = '["subscriber"]' WHERE id = ?`).bind(apiId).run();
    const catalog = await api<{ list: Array<{ id: string }> }>('GET', `/api/devportal/v1/apis?tag=${tag}`, dev);
    expect(catalog.body.list.map((a) => a.id)).toEqual([apiId]);
    expect((await api('GET', `/api/devportal/v1/apis/${apiId}`, dev)).status).toBe(200);
    const view = await api<{ visibleRoles: string[] }>('GET', `/api/publisher/v1/apis/${apiId}`, publisher);
    expect(view.body.visibleRoles).toEqual(['developer']);
  });

  it('names no role subscriber in the OpenAPI document', async () => {
    const doc = await (await SELF.fetch(`${ORIGIN}/api/openapi.json`)).text();
    const enums: unknown[][] = [];
    JSON.parse(doc, (key, value: unknown) => {
      if (key === 'enum' && Array.isArray(value)) enums.push(value);
      return value;
    });
    const roleEnums = enums.filter((e) => e.includes('publisher'));
    expect(roleEnums.length).toBeGreaterThan(0);
    // A nullable role (e.g. an SSO provider's default role) lists null beside the three names.
    for (const e of roleEnums) expect(e.filter((v) => v !== null)).toEqual(['admin', 'publisher', 'developer']);
    expect(enums.some((e) => e.includes('subscriber'))).toBe(false);
  });
});

/** The migration's own statements (as wrangler applies them, from the TEST_MIGRATIONS binding) run on rows written with the old name. */
describe('migration 0014_developer_role', () => {
  const migration = (env as unknown as { TEST_MIGRATIONS: Array<{ name: string; queries: string[] }> }).TEST_MIGRATIONS.find(
    (m) => m.name === '0014_developer_role.sql',
  );

  it('renames subscriber to developer in users, visible_roles of apis and gateway environments, and the audit log', async () => {
    expect(migration?.queries.length).toBeGreaterThan(0);
    const stamp = `${Date.now()}${Math.random().toString(36).slice(2, 6)}`;
    const publisher = await userWithRole('publisher');
    const apiId = (await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, apiBody())).body.id;
    const otherApiId = (await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, apiBody())).body.id;
    await env.DB.batch([
      env.DB.prepare(`INSERT INTO users (id, email, display_name, password_hash, role) VALUES (?, ?, 'Old', 'x', 'subscriber')`).bind(
        `usr_old${stamp}`,
        `old-${stamp}@example.com`,
      ),
      env.DB.prepare(`INSERT INTO users (id, email, display_name, password_hash, role) VALUES (?, ?, 'Pub', 'x', 'publisher')`).bind(
        `usr_pub${stamp}`,
        `pub-${stamp}@example.com`,
      ),
      env.DB.prepare(`UPDATE apis SET visible_roles = '["publisher","subscriber"]' WHERE id = ?`).bind(apiId),
      env.DB.prepare(`UPDATE apis SET visible_roles = '["subscriber","developer"]' WHERE id = ?`).bind(otherApiId),
      env.DB.prepare(
        `INSERT INTO gateway_environments (id, name, display_name, visible_roles) VALUES (?, ?, 'Old', '["subscriber"]')`,
      ).bind(`env_old${stamp}`, `old-${stamp}`),
      env.DB.prepare(
        `INSERT INTO audit_log (id, action, entity_type, entity_id, before, after) VALUES (?, 'user.create', 'user', ?, NULL, '{"email":"a@example.com","role":"subscriber"}')`,
      ).bind(`aud_a${stamp}`, `usr_old${stamp}`),
      env.DB.prepare(
        `INSERT INTO audit_log (id, action, entity_type, entity_id, before, after) VALUES (?, 'api.update', 'api', ?, '{"name":"subscriber","visibleRoles":["subscriber"]}', '{"visibleRoles":["admin"]}')`,
      ).bind(`aud_b${stamp}`, apiId),
      env.DB.prepare(
        `INSERT INTO audit_log (id, action, entity_type, entity_id, before, after) VALUES (?, 'x', 'x', 'x', NULL, '"subscriber"')`,
      ).bind(`aud_c${stamp}`),
    ]);

    await env.DB.batch((migration?.queries ?? []).map((q) => env.DB.prepare(q)));

    const one = async (sql: string, id: string) => await env.DB.prepare(sql).bind(id).first<Record<string, string | null>>();
    expect(await one('SELECT role FROM users WHERE id = ?', `usr_old${stamp}`)).toEqual({ role: 'developer' });
    expect(await one('SELECT role FROM users WHERE id = ?', `usr_pub${stamp}`)).toEqual({ role: 'publisher' });
    expect(JSON.parse((await one('SELECT visible_roles FROM apis WHERE id = ?', apiId))?.visible_roles ?? '')).toEqual([
      'publisher',
      'developer',
    ]);
    expect(JSON.parse((await one('SELECT visible_roles FROM apis WHERE id = ?', otherApiId))?.visible_roles ?? '')).toEqual(['developer']);
    expect(
      JSON.parse((await one('SELECT visible_roles FROM gateway_environments WHERE id = ?', `env_old${stamp}`))?.visible_roles ?? ''),
    ).toEqual(['developer']);
    expect(JSON.parse((await one('SELECT after FROM audit_log WHERE id = ?', `aud_a${stamp}`))?.after ?? '')).toEqual({
      email: 'a@example.com',
      role: 'developer',
    });
    const b = await one('SELECT before, after FROM audit_log WHERE id = ?', `aud_b${stamp}`);
    // Only role names change: a name that happens to read "subscriber" stays.
    expect(JSON.parse(b?.before ?? '')).toEqual({ name: 'subscriber', visibleRoles: ['developer'] });
    expect(JSON.parse(b?.after ?? '')).toEqual({ visibleRoles: ['admin'] });
    expect((await one('SELECT after FROM audit_log WHERE id = ?', `aud_c${stamp}`))?.after).toBe('"subscriber"');
    // Applied twice (a retried deploy), nothing changes further.
    await env.DB.batch((migration?.queries ?? []).map((q) => env.DB.prepare(q)));
    expect(await one('SELECT role FROM users WHERE id = ?', `usr_old${stamp}`)).toEqual({ role: 'developer' });
  });
});

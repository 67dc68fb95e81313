import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { api, apiBody, deployedSnapshot, userWithRole, type ProblemBody } from '../../../../../test/workers/control-plane-helpers.ts';

const PASSWORD = 'backend-pass-0451';
const endpoint = (security?: unknown) => ({
  urls: [{ url: 'https://backend.example.com/api' }],
  ...(security === undefined ? {} : { security }),
});

describe('endpoint security', () => {
  it('stores credentials sealed, shows only their kind and user, keeps them across an edit, and never writes the secret anywhere', async () => {
    const publisher = await userWithRole('publisher');
    const created = await api<{ id: string; endpoints: { production: { security: unknown } } }>(
      'POST',
      '/api/publisher/v1/apis',
      publisher,
      apiBody({ endpoints: { production: endpoint({ type: 'basic', username: 'svc', password: PASSWORD }) } }),
    );
    expect(created.status).toBe(201);
    expect(created.body.endpoints.production.security).toEqual({ type: 'basic', username: 'svc' });
    expect(JSON.stringify(created.body)).not.toContain(PASSWORD);

    // A new URL without `security` keeps the credentials; null removes them.
    const moved = await api<{ endpoints: { production: { security: unknown } } }>(
      'PATCH',
      `/api/publisher/v1/apis/${created.body.id}`,
      publisher,
      { endpoints: { production: { urls: [{ url: 'https://moved.example.com' }] } } },
    );
    expect(moved.body.endpoints.production.security).toEqual({ type: 'basic', username: 'svc' });
    await api('POST', `/api/publisher/v1/apis/${created.body.id}/lifecycle`, publisher, { state: 'PUBLISHED' });
    const revision = await api<{ id: string }>('POST', `/api/publisher/v1/apis/${created.body.id}/revisions`, publisher, {});
    expect(
      (
        await api('POST', `/api/publisher/v1/apis/${created.body.id}/deployments`, publisher, {
          revisionId: revision.body.id,
          environments: ['production'],
        })
      ).status,
    ).toBe(201);
    const header = await api<{ endpoints: { production: { security: unknown } } }>(
      'PATCH',
      `/api/publisher/v1/apis/${created.body.id}`,
      publisher,
      { endpoints: { production: endpoint({ type: 'header', name: 'X-Api-Secret', value: 'hv-9931' }) } },
    );
    expect(header.body.endpoints.production.security).toEqual({ type: 'header', name: 'x-api-secret' });
    const cleared = await api<{ endpoints: { production: { security: unknown } } }>(
      'PATCH',
      `/api/publisher/v1/apis/${created.body.id}`,
      publisher,
      { endpoints: { production: endpoint(null) } },
    );
    expect(cleared.body.endpoints.production.security).toBeNull();

    const deployed = JSON.stringify(await deployedSnapshot());
    for (const table of ['endpoints', 'revisions', 'audit_log', 'deployed snapshot']) {
      const dump =
        table === 'deployed snapshot' ? deployed : JSON.stringify((await env.DB.prepare(`SELECT * FROM ${table}`).all()).results);
      expect(dump, table).not.toContain(PASSWORD);
      expect(dump, table).not.toContain('hv-9931');
    }
    // The deployed revision carries the sealed form, which the gateway opens.
    expect(deployed).toMatch(/\\"sealed\\":\\"v1\./);
  });

  it('names the field at fault', async () => {
    const publisher = await userWithRole('publisher');
    const bad = await api<ProblemBody>(
      'POST',
      '/api/publisher/v1/apis',
      publisher,
      apiBody({
        endpoints: {
          production: endpoint({ type: 'header', name: 'Host', value: 'x' }),
          sandbox: endpoint({ type: 'basic', username: 'a:b', password: '' }),
        },
      }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.map((e) => e.pointer)).toEqual(
      expect.arrayContaining([
        '/endpoints/production/security/name',
        '/endpoints/sandbox/security/username',
        '/endpoints/sandbox/security/password',
      ]),
    );
  });
});

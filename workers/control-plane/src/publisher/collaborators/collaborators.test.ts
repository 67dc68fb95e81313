import { describe, expect, it } from 'vitest';
import { api, apiBody, userWithRole, type ProblemBody } from '../../../../../test/workers/control-plane-helpers.ts';

describe('sharing an API with other publishers', () => {
  it('lets a collaborator see and change the API, not re-share it, and takes that back on removal', async () => {
    const owner = await userWithRole('publisher');
    const colleague = await userWithRole('publisher');
    const made = await api<{ id: string }>('POST', '/api/publisher/v1/apis', owner, apiBody());
    const path = `/api/publisher/v1/apis/${made.body.id}`;
    expect((await api('GET', path, colleague)).status).toBe(404);

    const shared = await api<{ userId: string }>('POST', `${path}/collaborators`, owner, { email: colleague.email });
    expect(shared.status).toBe(201);
    expect((await api('POST', `${path}/collaborators`, owner, { email: colleague.email })).status).toBe(409);
    expect((await api('PATCH', path, colleague, { description: 'edited by a colleague' })).status).toBe(200);
    const listed = await api<{ list: Array<{ id: string }> }>('GET', '/api/publisher/v1/apis?limit=100', colleague);
    expect(listed.body.list.map((a) => a.id)).toContain(made.body.id);
    const third = await userWithRole('publisher');
    expect((await api('POST', `${path}/collaborators`, colleague, { email: third.email })).status).toBe(403);
    expect((await api<{ list: unknown[] }>('GET', `${path}/collaborators`, colleague)).body.list).toHaveLength(1);

    expect((await api('DELETE', `${path}/collaborators/${colleague.id}`, owner)).status).toBe(204);
    expect((await api('DELETE', `${path}/collaborators/${colleague.id}`, owner)).status).toBe(404);
    expect((await api('GET', path, colleague)).status).toBe(404);
  });

  it('shares only with active publishers and names the field', async () => {
    const owner = await userWithRole('publisher');
    const developer = await userWithRole('developer');
    const made = await api<{ id: string }>('POST', '/api/publisher/v1/apis', owner, apiBody());
    const refused = await api<ProblemBody>('POST', `/api/publisher/v1/apis/${made.body.id}/collaborators`, owner, {
      email: developer.email,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.pointer).toBe('/email');
    expect(
      (await api<ProblemBody>('POST', `/api/publisher/v1/apis/${made.body.id}/collaborators`, owner, { email: 'not an email' })).body
        .errors?.[0]?.pointer,
    ).toBe('/email');
    expect((await api('POST', `/api/publisher/v1/apis/${made.body.id}/collaborators`, developer, { email: owner.email })).status).toBe(403);
  });
});

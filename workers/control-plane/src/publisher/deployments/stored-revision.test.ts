import { SELF, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { ORIGIN, api, deployedSnapshot, userWithRole } from '../../../../../test/workers/control-plane-helpers.ts';
import { INLINE_REVISION_BYTES } from './stored-revision.ts';

/** `operations` POST operations, each with a JSON body schema of about 1.5 kB that request validation freezes into the revision. */
function validatedDocument(operations: number): Record<string, unknown> {
  const properties = Object.fromEntries(
    Array.from({ length: 30 }, (_, i) => [`field${i}`, { type: 'string', maxLength: 100, description: `Field ${i} of the order` }]),
  );
  const paths: Record<string, unknown> = {};
  for (let i = 0; i < operations; i++) {
    paths[`/orders${i}`] = {
      post: {
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['field0'], properties } } } },
        responses: { 201: { description: 'created' } },
      },
    };
  }
  return { openapi: '3.1.0', info: { title: 'Validated', version: '1' }, paths };
}

describe('revisions beyond one D1 row', () => {
  it(
    'keeps a revision too large for its row in R2, deploys it with every operation and compares it for undeployed changes',
    { timeout: 120_000 },
    async () => {
      const publisher = await userWithRole('publisher');
      const context = `/validated${Math.random().toString(36).slice(2, 6)}`;
      const res = await SELF.fetch(`${ORIGIN}/api/publisher/v1/apis/import`, {
        method: 'POST',
        headers: { cookie: publisher.cookie, 'content-type': 'application/json' },
        body: JSON.stringify({
          definition: validatedDocument(600),
          context,
          version: 'v1',
          policies: [{ name: 'request-validation', config: {} }],
          endpoints: { production: { urls: [{ url: 'https://backend.example.com' }] } },
        }),
      });
      expect(res.status).toBe(201);
      const id = ((await res.json()) as { id: string }).id;
      expect((await api('POST', `/api/publisher/v1/apis/${id}/lifecycle`, publisher, { state: 'PUBLISHED' })).status).toBe(200);
      const revision = await api<{ id: string }>('POST', `/api/publisher/v1/apis/${id}/revisions`, publisher, {});
      expect(revision.status).toBe(201);

      const row = await env.DB.prepare('SELECT definition, definition_key AS key FROM revisions WHERE id = ?')
        .bind(revision.body.id)
        .first<{ definition: string; key: string | null }>();
      expect(row?.definition).toBe('{}');
      const object = await env.BLOBS.get(row?.key ?? '');
      expect((await object?.text())?.length).toBeGreaterThan(INLINE_REVISION_BYTES);

      expect(
        (
          await api('POST', `/api/publisher/v1/apis/${id}/deployments`, publisher, {
            revisionId: revision.body.id,
            environments: ['production'],
          })
        ).status,
      ).toBe(201);
      const served = (await deployedSnapshot()).apis.find((a) => a.id === id);
      expect(served?.resources).toHaveLength(600);
      expect(served?.resources[599]?.operation?.body?.required).toBe(true);
      const undeployed = await api<{ list: Array<{ changes: unknown[] }> }>(
        'GET',
        `/api/publisher/v1/apis/${id}/undeployed-changes`,
        publisher,
      );
      expect(undeployed.body.list.map((e) => e.changes)).toEqual([[]]);
    },
  );
});

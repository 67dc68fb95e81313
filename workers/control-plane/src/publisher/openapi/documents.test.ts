import { SELF, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { ORIGIN, api, deployedSnapshot, userWithRole } from '../../../../../test/workers/control-plane-helpers.ts';
import { INLINE_DOCUMENT_BYTES } from './documents.ts';

/** A description of `operations` operations padded to about `bytes` (Stripe's is 2.5 MB, Kubernetes' 4 MB). */
function largeDocument(operations: number, bytes: number): Record<string, unknown> {
  const pad = 'x'.repeat(Math.ceil(bytes / operations));
  const paths: Record<string, unknown> = {};
  for (let i = 0; i < operations; i += 2) {
    paths[`/v1/things${i}/{id}`] = {
      get: { operationId: `get${i}`, description: pad, responses: { 200: { description: 'ok' } } },
      post: { operationId: `post${i}`, description: pad, responses: { 200: { description: 'ok' } } },
    };
  }
  return { openapi: '3.0.3', info: { title: `Large ${bytes}`, version: '1.0.0' }, paths };
}

async function importDocument(cookie: string, document: Record<string, unknown>, context: string) {
  const res = await SELF.fetch(`${ORIGIN}/api/publisher/v1/apis/import?context=${context}&version=v1`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify(document),
  });
  return { status: res.status, body: (await res.json()) as { id: string; resources: unknown[] } };
}

describe('OpenAPI documents beyond one D1 row', () => {
  for (const [name, operations, bytes] of [
    ['Stripe-size (2.5 MB)', 1_200, 2_500_000],
    ['Kubernetes-size (4 MB)', 1_000, 4_000_000],
  ] as const) {
    it(`imports a ${name} description into R2, exports it whole and deploys every operation`, { timeout: 120_000 }, async () => {
      const publisher = await userWithRole('publisher');
      const document = largeDocument(operations, bytes);
      const context = `/large${bytes}${Math.random().toString(36).slice(2, 6)}`;
      const imported = await importDocument(publisher.cookie, document, context);
      expect(imported.status).toBe(201);
      expect(imported.body.resources).toHaveLength(operations);

      const row = await env.DB.prepare('SELECT openapi, openapi_key AS key FROM apis WHERE id = ?')
        .bind(imported.body.id)
        .first<{ openapi: string | null; key: string | null }>();
      expect(JSON.stringify(document).length).toBeGreaterThan(INLINE_DOCUMENT_BYTES);
      expect(row?.openapi).toBeNull();
      expect(await env.BLOBS.head(row?.key ?? '')).not.toBeNull();

      const exported = await api<Record<string, unknown>>('GET', `/api/publisher/v1/apis/${imported.body.id}/openapi`, publisher);
      expect(exported.status).toBe(200);
      expect(exported.body).toEqual(document);

      expect((await api('POST', `/api/publisher/v1/apis/${imported.body.id}/lifecycle`, publisher, { state: 'PUBLISHED' })).status).toBe(
        200,
      );
      const revision = await api<{ id: string }>('POST', `/api/publisher/v1/apis/${imported.body.id}/revisions`, publisher, {});
      expect(revision.status).toBe(201);
      expect(
        (
          await api('POST', `/api/publisher/v1/apis/${imported.body.id}/deployments`, publisher, {
            revisionId: revision.body.id,
            environments: ['production'],
          })
        ).status,
      ).toBe(201);
      const served = (await deployedSnapshot()).apis.find((a) => a.id === imported.body.id);
      expect(served?.resources).toHaveLength(operations);
    });
  }

  it('keeps a small description in its row, as before', async () => {
    const publisher = await userWithRole('publisher');
    const document = largeDocument(4, 1_000);
    const imported = await importDocument(publisher.cookie, document, `/small${Math.random().toString(36).slice(2, 6)}`);
    expect(imported.status).toBe(201);
    const row = await env.DB.prepare('SELECT openapi, openapi_key AS key FROM apis WHERE id = ?')
      .bind(imported.body.id)
      .first<{ openapi: string | null; key: string | null }>();
    expect(row?.key).toBeNull();
    expect(JSON.parse(row?.openapi ?? 'null')).toEqual(document);
  });
});

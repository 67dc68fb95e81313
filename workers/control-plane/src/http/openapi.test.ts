import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { PROBLEMS } from '../../../shared/problem.ts';

const ORIGIN = 'http://cp.test';

interface Operation {
  responses: Record<string, { content?: Record<string, unknown> }>;
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

async function documentOf(): Promise<Document> {
  const res = await SELF.fetch(`${ORIGIN}/api/openapi.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as Document;
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and documents every error as problem+json with a status from the problem table', async () => {
    const doc = await documentOf();
    expect(doc.openapi).toBe('3.1.0');
    const statuses = new Set<number>(Object.values(PROBLEMS).map((p) => p.status));
    let errors = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400) continue;
          errors++;
          expect(statuses.has(Number(status)), `${method} ${path} documents ${status}, which no problem code has`).toBe(true);
          expect(Object.keys(response.content ?? {}), `${method} ${path} ${status}`).toEqual(['application/problem+json']);
        }
      }
    }
    expect(errors).toBeGreaterThan(0);
  });

  it('documents the statuses the routes actually answer', async () => {
    const doc = await documentOf();
    const cases: Array<{ path: string; method: string; init: RequestInit }> = [
      {
        path: '/api/auth/login',
        method: 'post',
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong' }),
        },
      },
      {
        path: '/api/auth/login',
        method: 'post',
        init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 1 }) },
      },
      { path: '/api/auth/me', method: 'get', init: {} },
      { path: '/api/auth/tokens', method: 'post', init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' } },
      {
        path: '/api/auth/bootstrap',
        method: 'post',
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-bootstrap-token': 'wrong' },
          body: JSON.stringify({ email: 'a@b.co', password: 'long-enough-password', displayName: 'A' }),
        },
      },
    ];
    for (const c of cases) {
      const res = await SELF.fetch(`${ORIGIN}${c.path}`, c.init);
      await res.arrayBuffer();
      const documented = Object.keys(doc.paths[c.path]?.[c.method]?.responses ?? {});
      expect(documented, `${c.method} ${c.path} answered ${res.status}`).toContain(String(res.status));
    }
  });
});

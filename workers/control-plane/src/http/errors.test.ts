import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { PROBLEM_BASE } from '../../../shared/problem.ts';

const ORIGIN = 'http://cp.test';

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  return (await res.json()) as {
    type: string;
    status: number;
    title: string;
    detail?: string;
    errors?: { pointer: string; detail: string }[];
  };
}

describe('control plane error contract', () => {
  it('answers health', async () => {
    const res = await SELF.fetch(`${ORIGIN}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', service: 'turnpike-control-plane', database: 'ok' });
  });

  it('renders unknown routes as a 404 problem', async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/nope`);
    expect(res.status).toBe(404);
    const body = await problem(res);
    expect(body.type).toBe(`${PROBLEM_BASE}not-found`);
    expect(body.detail).toContain('/api/nope');
  });

  it('renders malformed JSON as a 400 problem', async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email": ',
    });
    expect(res.status).toBe(400);
    expect((await problem(res)).type).toBe(`${PROBLEM_BASE}malformed-json`);
  });

  it('refuses a non-JSON body with 415', async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(res.status).toBe(415);
    expect((await problem(res)).type).toBe(`${PROBLEM_BASE}unsupported-media-type`);
  });

  it('refuses an oversized body with 413 before reading it all', async () => {
    const big = JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(2 * 1024 * 1024) });
    const res = await SELF.fetch(`${ORIGIN}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect(res.status).toBe(413);
    expect((await problem(res)).type).toBe(`${PROBLEM_BASE}payload-too-large`);
  });

  it('names unknown and invalid fields', async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'not-an-email', password: 'x', role: 'admin' }),
    });
    expect(res.status).toBe(400);
    const body = await problem(res);
    expect(body.type).toBe(`${PROBLEM_BASE}validation-failed`);
    const pointers = body.errors?.map((e) => e.pointer) ?? [];
    expect(pointers).toContain('/email');
    expect(pointers).toContain('/role');
  });
});

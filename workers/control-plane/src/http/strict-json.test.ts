import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { ORIGIN, api, apiBody, userWithRole, type ProblemBody, type TestUser } from '../../../../test/workers/control-plane-helpers.ts';
import { checkStrictJson } from './strict-json.ts';

async function raw(user: TestUser, path: string, body: string | Uint8Array, type = 'application/json') {
  const res = await SELF.fetch(`${ORIGIN}${path}`, { method: 'POST', headers: { cookie: user.cookie, 'content-type': type }, body });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as ProblemBody & Record<string, unknown> };
}

describe('the strict JSON reader', () => {
  it('accepts what JSON.parse reads the same way, escapes and surrogate pairs included', () => {
    for (const text of [
      '{}',
      '[]',
      '0',
      '-1.5e+3',
      '"a\\u00e9\\ud83d\\ude00\\n"',
      '{"a":[1,{"b":null}],"c":true,"d":false}',
      ' \t\r\n{"a" : 1 } ',
      '{"a":{"a":1}}',
      '[{"a":1},{"a":2}]',
    ]) {
      expect(checkStrictJson(text), text).toEqual({ ok: true, text });
    }
    expect(checkStrictJson('"\\ufffd\\uD83D\\uDE00 \u00e9"').ok).toBe(true);
  });

  it('refuses a duplicate member name and points at it', () => {
    expect(checkStrictJson('{"name":"a","name":"b"}')).toMatchObject({ ok: false, pointer: '/name' });
    expect(checkStrictJson('{"a":{"b/c":1,"b\\/c":2}}')).toMatchObject({ ok: false, pointer: '/a/b~1c' });
    expect(checkStrictJson('{"list":[{"x":1,"x":1}]}')).toMatchObject({ ok: false, pointer: '/list/0/x' });
    // The same name spelled with an escape is the same name.
    expect(checkStrictJson('{"name":"a","n\\u0061me":"b"}')).toMatchObject({ ok: false, pointer: '/name' });
  });

  it('refuses a byte-order mark, lone surrogates, NUL and raw control characters', () => {
    for (const text of [
      '\ufeff{}',
      '{"a":"\\ud800"}',
      '{"a":"\\udc00x"}',
      '{"a":"\\ud800\\u0041"}',
      '{"a":"\ud800"}',
      '{"a":"\\u0000"}',
      '{"\\u0000":1}',
      '{"a":"x\u0001"}',
      '{"a":"\\uffff"}',
      '{"a":"\ufdd0"}',
      '{"a":"\\udbff\\udfff"}',
    ]) {
      expect(checkStrictJson(text).ok, JSON.stringify(text)).toBe(false);
    }
  });

  it('refuses what is not JSON at all', () => {
    for (const text of [
      '',
      '{',
      '{"a":1,}',
      '[1,]',
      '{a:1}',
      "{'a':1}",
      '01',
      '1.',
      '.5',
      '+1',
      'NaN',
      'nul',
      '{"a":1}x',
      '"\\x41"',
      '"\\u12G4"',
    ]) {
      expect(checkStrictJson(text).ok, text).toBe(false);
    }
  });

  it('refuses nesting beyond its depth bound without overflowing the stack', () => {
    expect(checkStrictJson('['.repeat(100_000) + ']'.repeat(100_000))).toMatchObject({
      ok: false,
      detail: 'Nested deeper than 128 levels',
    });
    expect(checkStrictJson('['.repeat(128) + ']'.repeat(128)).ok).toBe(true);
  });
});

describe('JSON bodies of the management APIs', () => {
  it('refuses a create-API body with a duplicate name member with 400 naming it', async () => {
    const publisher = await userWithRole('publisher');
    const body = JSON.stringify(apiBody()).replace('{', '{"name":"first",');
    const res = await raw(publisher, '/api/publisher/v1/apis', body);
    expect(res.status).toBe(400);
    expect(res.body.type).toBe('https://turnpike.dev/problems/malformed-json');
    expect(res.body.errors).toEqual([{ pointer: '/name', detail: expect.stringContaining('Duplicate member name') }]);
  });

  it('refuses duplicates on every JSON route, e.g. an application and a throttling policy', async () => {
    const developer = await userWithRole('developer');
    expect((await raw(developer, '/api/devportal/v1/applications', '{"name":"a","name":"b"}')).status).toBe(400);
    const admin = await userWithRole('admin');
    expect(
      (await raw(admin, '/api/admin/v1/throttling-policies', '{"kind":"subscription","kind":"application"}')).body.errors?.[0]?.pointer,
    ).toBe('/kind');
  });

  it('refuses a BOM, a lone surrogate, NUL and bytes that are not UTF-8', async () => {
    const developer = await userWithRole('developer');
    const path = '/api/devportal/v1/applications';
    for (const body of [
      '\ufeff{"name":"bom"}',
      '{"name":"\\ud800"}',
      '{"name":"a\\u0000b"}',
      new Uint8Array([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
    ]) {
      const res = await raw(developer, path, body);
      expect(res.status, String(body)).toBe(400);
      expect(res.body.type).toBe('https://turnpike.dev/problems/malformed-json');
    }
    const list = await api<{ list: unknown[] }>('GET', path, developer);
    expect(list.body.list).toEqual([]);
  });

  it('refuses __proto__ and numbers beyond a double as fields, not as a 500', async () => {
    const developer = await userWithRole('developer');
    const proto = await raw(developer, '/api/devportal/v1/applications', '{"__proto__":{"status":"APPROVED"},"name":"proto"}');
    expect(proto.status).toBe(400);
    expect(proto.body.errors?.[0]?.pointer).toBe('/__proto__');
    const admin = await userWithRole('admin');
    const huge = await raw(admin, '/api/admin/v1/throttling-policies', `{"kind":"application","name":"Huge${Date.now()}","limit":1e999}`);
    expect(huge.status).toBe(400);
    expect(huge.body.errors?.[0]?.pointer).toBe('/limit');
  });

  it('answers a 10,000-deep import definition with 400 naming where, not 500', async () => {
    const publisher = await userWithRole('publisher');
    const deep = '{"a":'.repeat(10_000) + 'null' + '}'.repeat(10_000);
    const body = `{"context":"/deep${Date.now()}","definition":{"openapi":"3.0.0","info":{"title":"x","version":"1"},"paths":{"/a":{"get":{}}},"x":${deep}}}`;
    const res = await raw(publisher, '/api/publisher/v1/apis/import', body);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.pointer).toMatch(/^\/definition\/x\/a\/a/);
  });

  it('applies the same rules to a definition sent as a JSON string and to YAML', async () => {
    const publisher = await userWithRole('publisher');
    const doc = '{"openapi":"3.0.0","info":{"title":"x","version":"1"},"paths":{"/a":{"get":{}}},"paths":{}}';
    const asString = await raw(
      publisher,
      '/api/publisher/v1/apis/import',
      JSON.stringify({ context: `/dup${Date.now()}`, definition: doc }),
    );
    expect(asString.status).toBe(400);
    expect(asString.body.errors?.[0]?.pointer).toBe('/definition/paths');
    const yaml = `openapi: 3.0.0\ninfo: {title: x, version: "1"}\npaths:\n  /a: {get: {}}\n  /a: {post: {}}\n`;
    expect((await raw(publisher, `/api/publisher/v1/apis/import?context=/y${Date.now()}`, yaml, 'application/yaml')).status).toBe(400);
    const surrogate = `openapi: 3.0.0\ninfo: {title: "\\ud800", version: "1"}\npaths:\n  /a: {get: {}}\n`;
    const res = await raw(publisher, `/api/publisher/v1/apis/import?context=/s${Date.now()}`, surrogate, 'application/yaml');
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.pointer).toBe('/definition/info/title');
    const nonchar = await raw(
      publisher,
      `/api/publisher/v1/apis/import?context=/n${Date.now()}`,
      surrogate.replace('\\ud800', '\\uffff'),
      'application/yaml',
    );
    expect(nonchar.status).toBe(400);
    const deepYaml =
      'openapi: 3.0.0\ninfo: {title: x, version: "1"}\npaths: {/a: {get: {}}}\nx: ' + '['.repeat(5000) + ']'.repeat(5000) + '\n';
    expect((await raw(publisher, `/api/publisher/v1/apis/import?context=/d${Date.now()}`, deepYaml, 'application/yaml')).status).toBe(400);
  });

  it('imports YAML under each media type the route declares, and refuses others with 415 before reading', async () => {
    const publisher = await userWithRole('publisher');
    const yaml = 'openapi: 3.0.0\ninfo: {title: y, version: "1"}\npaths:\n  /a: {get: {responses: {"200": {description: ok}}}}\n';
    for (const type of ['application/yaml', 'application/x-yaml', 'text/yaml']) {
      const res = await raw(publisher, `/api/publisher/v1/apis/import?context=/t${Math.random().toString(36).slice(2, 8)}`, yaml, type);
      expect(res.status, type).toBe(201);
    }
    expect((await raw(publisher, '/api/publisher/v1/apis/import?context=/t', yaml, 'text/plain')).status).toBe(415);
  });
});

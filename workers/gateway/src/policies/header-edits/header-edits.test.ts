import { beforeAll, describe, expect, it } from 'vitest';
import { api, call, deploy, resource, signingKey, subscribe, token, type Echo, type SigningKey } from '../../test-support.ts';

let key: SigningKey;
const APP = 'app_header_edits';
const edits = {
  request: { set: { 'x-added': 'op' }, remove: ['x-drop'] },
  response: { set: { 'x-policy': 'header-edits' }, remove: ['x-backend'] },
};

beforeAll(async () => {
  key = await signingKey('k1');
  await deploy(
    [
      api({
        id: 'api_edits',
        context: '/edits',
        resources: [
          resource('GET', '/edited', { policies: [{ name: 'header-edits', config: edits }] }),
          resource('GET', '/plain'),
          resource('GET', '/twice', {
            policies: [
              { name: 'header-edits', config: { request: { remove: ['x-drop'] } } },
              { name: 'header-edits', config: { request: { rename: { 'x-old': 'x-new' }, remove: ['x-drop-too'] } } },
            ],
          }),
          resource('GET', '/renamed', {
            policies: [
              {
                name: 'header-edits',
                config: {
                  request: { rename: { 'x-old': 'x-new' }, query: { rename: { q: 'search' }, remove: ['debug'], set: { format: 'json' } } },
                  response: { rename: { 'x-backend': 'x-served-by' } },
                },
              },
            ],
          }),
        ],
        // The API's own headerEdits field runs after the operation's policies.
        headerEdits: { request: { set: { 'x-api': 'yes' }, remove: [] }, response: { set: {}, remove: [] } },
      }),
    ],
    [key],
  );
  await subscribe(APP, 'api_edits');
});

describe('header-edits policy', () => {
  it('sets and removes request headers on the way to the backend and response headers on the way back, on the operation it is attached to', async () => {
    const t = await token(key, { applicationId: APP });
    const res = await call('/edits/v1/edited', { headers: { authorization: `Bearer ${t}`, 'x-drop': 'secret', 'x-keep': 'kept' } });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo.headers['x-added']).toBe('op');
    expect(echo.headers['x-api']).toBe('yes');
    expect(echo.headers['x-drop']).toBeUndefined();
    expect(echo.headers['x-keep']).toBe('kept');
    expect(res.headers.get('x-policy')).toBe('header-edits');
    expect(res.headers.get('x-backend')).toBeNull();
  });

  it('renames request headers and query parameters (every value of a repeated one), removes and sets parameters, and renames response headers', async () => {
    const t = await token(key, { applicationId: APP });
    const res = await call('/edits/v1/renamed?q=a&q=b&debug=1&keep=yes', { headers: { authorization: `Bearer ${t}`, 'x-old': 'value' } });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo.headers['x-new']).toBe('value');
    expect(echo.headers['x-old']).toBeUndefined();
    const query = new URL(echo.url).searchParams;
    expect(query.getAll('search')).toEqual(['a', 'b']);
    expect(query.has('q')).toBe(false);
    expect(query.has('debug')).toBe(false);
    expect(query.get('keep')).toBe('yes');
    expect(query.get('format')).toBe('json');
    expect(res.headers.get('x-served-by')).toBe('echo');
    expect(res.headers.get('x-backend')).toBeNull();
  });

  it('applies every policy of an operation in turn, each on the headers the one before left, and still never forwards the credential', async () => {
    const t = await token(key, { applicationId: APP });
    const res = await call('/edits/v1/twice', {
      headers: { authorization: `Bearer ${t}`, 'x-drop': '1', 'x-drop-too': '2', 'x-old': 'value', 'x-keep': 'kept' },
    });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo.headers['x-drop']).toBeUndefined();
    expect(echo.headers['x-drop-too']).toBeUndefined();
    expect(echo.headers['x-old']).toBeUndefined();
    expect(echo.headers['x-new']).toBe('value');
    expect(echo.headers['x-keep']).toBe('kept');
    expect(echo.headers['x-api']).toBe('yes');
    expect(echo.headers['authorization']).toBeUndefined();
  });

  it('leaves the other operations of the API alone', async () => {
    const t = await token(key, { applicationId: APP });
    const res = await call('/edits/v1/plain', { headers: { authorization: `Bearer ${t}`, 'x-drop': 'secret' } });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo.headers['x-added']).toBeUndefined();
    expect(echo.headers['x-drop']).toBe('secret');
    expect(echo.headers['x-api']).toBe('yes');
    expect(res.headers.get('x-policy')).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import type { GatewaySnapshot, SnapshotApi, SnapshotResource } from '../../../shared/snapshot.ts';
import { RouteTable } from './route-table.ts';

const resource = (method: string, pathTemplate: string): SnapshotResource => ({
  method,
  pathTemplate,
  authType: 'oauth2',
  scopes: [],
  limits: [],
});
const api = (id: string, context: string, version: string, resources: SnapshotResource[], isDefaultVersion = false): SnapshotApi => ({
  id,
  name: id,
  context,
  version,
  isDefaultVersion,
  state: 'PUBLISHED',
  revisionId: 'rev_1',
  resources,
  endpoints: {},
  apiKeyHeader: 'apikey',
  cors: null,
  backendJwt: false,
  headerEdits: null,
  limits: [],
});
const snapshot = (apis: SnapshotApi[]): GatewaySnapshot => ({
  version: 1,
  environment: 'production',
  compiledAt: 0,
  issuer: 'i',
  audience: 'a',
  jwks: [],
  allowPrivateBackends: true,
  apis,
});

describe('RouteTable', () => {
  const table = new RouteTable(
    snapshot([
      api('pets1', '/petstore', 'v1', [
        resource('GET', '/pets'),
        resource('POST', '/pets'),
        resource('GET', '/pets/{petId}'),
        resource('GET', '/pets/mine'),
        resource('GET', '/files/{+path}'),
      ]),
      api('pets2', '/petstore', 'v2', [resource('GET', '/pets')], true),
      api('deep', '/org/team/api', '1.0.0', [resource('GET', '/')]),
    ]),
  );

  it('matches context, version, template and method', () => {
    const m = table.match('GET', '/petstore/v1/pets/42');
    expect(m?.api.id).toBe('pets1');
    expect(m?.resource?.pathTemplate).toBe('/pets/{petId}');
    expect(m?.rest).toBe('/pets/42');
  });

  it('prefers a literal segment over a parameter', () => {
    expect(table.match('GET', '/petstore/v1/pets/mine')?.resource?.pathTemplate).toBe('/pets/mine');
  });

  it('routes the default version without a version segment', () => {
    const m = table.match('GET', '/petstore/pets');
    expect(m?.api.id).toBe('pets2');
    expect(m?.rest).toBe('/pets');
  });

  it('reports the allowed methods when the method is not defined', () => {
    const m = table.match('DELETE', '/petstore/v1/pets');
    expect(m?.resource).toBeNull();
    expect([...(m?.allowed ?? [])].sort()).toEqual(['GET', 'POST']);
  });

  it('matches multi-segment contexts and trailing wildcards', () => {
    expect(table.match('GET', '/org/team/api/1.0.0/')?.api.id).toBe('deep');
    expect(table.match('GET', '/petstore/v1/files/a/b/c.txt')?.resource?.pathTemplate).toBe('/files/{+path}');
  });

  it('is case-sensitive and knows nothing of undeployed contexts', () => {
    expect(table.match('GET', '/PetStore/v1/pets')).toBeNull();
    expect(table.match('GET', '/unknown/v1/pets')).toBeNull();
    expect(table.match('GET', '/petstore/v1/nothing')?.resource).toBeNull();
  });
});

describe('RouteTable: segments that mix literal text and parameters (OpenAPI path templating)', () => {
  const table = new RouteTable(
    snapshot([
      api('twilio', '/twilio', '2010-04-01', [
        resource('GET', '/Accounts/{Sid}/Recordings/{Sid}.json'),
        resource('GET', '/Accounts/{AccountSid}/Recordings/{Sid}'),
        resource('GET', '/Accounts/{AccountSid}/Recordings.json'),
        resource('POST', '/jobs/{name}:cancel'),
        resource('POST', '/jobs/{name}:retry'),
        resource('GET', '/jobs/{name}'),
        resource('GET', '/api/v{major}/status'),
        resource('GET', '/range/{from}-{to}'),
        resource('GET', '/files/{id}.{ext}'),
        resource('GET', '/files/{id}.json'),
      ]),
    ]),
  );
  const template = (method: string, path: string) => table.match(method, `/twilio/2010-04-01${path}`)?.resource?.pathTemplate ?? null;

  it('matches a parameter followed by a suffix, and prefers it to a bare parameter', () => {
    expect(template('GET', '/Accounts/AC1/Recordings/RE2.json')).toBe('/Accounts/{Sid}/Recordings/{Sid}.json');
    expect(template('GET', '/Accounts/AC1/Recordings/RE2')).toBe('/Accounts/{AccountSid}/Recordings/{Sid}');
    expect(template('GET', '/Accounts/AC1/Recordings.json')).toBe('/Accounts/{AccountSid}/Recordings.json');
  });

  it('matches custom-method suffixes, prefixes and two parameters in one segment', () => {
    expect(template('POST', '/jobs/build-7:cancel')).toBe('/jobs/{name}:cancel');
    expect(template('POST', '/jobs/build-7:retry')).toBe('/jobs/{name}:retry');
    expect(template('GET', '/jobs/build-7')).toBe('/jobs/{name}');
    expect(template('GET', '/api/v2/status')).toBe('/api/v{major}/status');
    expect(template('GET', '/range/10-20')).toBe('/range/{from}-{to}');
  });

  it('prefers the template with more literal text when several match', () => {
    expect(template('GET', '/files/a.json')).toBe('/files/{id}.json');
    expect(template('GET', '/files/a.txt')).toBe('/files/{id}.{ext}');
  });

  it('never matches an empty parameter or a missing literal', () => {
    expect(template('GET', '/Accounts/AC1/Recordings/.json')).toBe('/Accounts/{AccountSid}/Recordings/{Sid}');
    expect(template('GET', '/api/x2/status')).toBeNull();
    expect(template('GET', '/api/v/status')).toBeNull();
    expect(template('GET', '/range/10')).toBeNull();
    expect(template('GET', '/range/-')).toBeNull();
    expect(template('POST', '/jobs/:cancel')).toBeNull();
    expect(template('GET', '/files/a')).toBeNull();
  });

  it('treats regular-expression characters in the literal text literally', () => {
    const t = new RouteTable(snapshot([api('re', '/re', 'v1', [resource('GET', '/x/{a}.(b)+')])]));
    expect(t.match('GET', '/re/v1/x/1.(b)+')?.resource?.pathTemplate).toBe('/x/{a}.(b)+');
    expect(t.match('GET', '/re/v1/x/1x(b)')?.resource).toBeNull();
  });

  it('keeps lookup flat: 10,000 APIs with mixed templates route as the first one does', () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      api(`a${i}`, `/ctx${i}`, 'v1', [resource('GET', '/items/{id}.json'), resource('GET', '/items/{id}')]),
    );
    const big = new RouteTable(snapshot(many));
    expect(big.match('GET', '/ctx9999/v1/items/7.json')?.resource?.pathTemplate).toBe('/items/{id}.json');
    expect(big.match('GET', '/ctx0/v1/items/7')?.resource?.pathTemplate).toBe('/items/{id}');
  });
});

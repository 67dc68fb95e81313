import { describe, expect, it } from 'vitest';
import type { GatewaySnapshot, SnapshotApi, SnapshotResource } from '../../../shared/snapshot.ts';
import { RouteTable } from './route-table.ts';

const resource = (method: string, pathTemplate: string): SnapshotResource => ({ method, pathTemplate, authType: 'oauth2', scopes: [], limits: [] });
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
const snapshot = (apis: SnapshotApi[]): GatewaySnapshot => ({ version: 1, environment: 'production', compiledAt: 0, issuer: 'i', audience: 'a', jwks: [], allowPrivateBackends: true, apis });

describe('RouteTable', () => {
  const table = new RouteTable(
    snapshot([
      api('pets1', '/petstore', 'v1', [resource('GET', '/pets'), resource('POST', '/pets'), resource('GET', '/pets/{petId}'), resource('GET', '/pets/mine'), resource('GET', '/files/{+path}')]),
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

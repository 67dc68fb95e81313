import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../shared/problem.ts';
import { canonicalPath } from './canonical-path.ts';

const refused = (url: string) => {
  try {
    canonicalPath(url);
  } catch (err) {
    return err instanceof ApiError && err.code === 'ambiguous-path';
  }
  return false;
};

describe('canonicalPath', () => {
  it('splits path and query from the raw request target', () => {
    expect(canonicalPath('http://gw.test/petstore/v1/pets?limit=2#frag')).toEqual({ path: '/petstore/v1/pets', search: '?limit=2' });
    expect(canonicalPath('http://gw.test')).toEqual({ path: '/', search: '' });
    expect(canonicalPath('http://gw.test/a/b/')).toEqual({ path: '/a/b/', search: '' });
  });

  it.each([
    '/petstore/v1/../admin',
    '/petstore/v1/./pets',
    '/petstore/v1/%2e%2e/admin',
    '/petstore/v1/%2E/pets',
    '/petstore/v1/pets%2Fsecret',
    '/petstore/v1/pets%5cx',
    '/petstore/v1/pets\\x',
    '/petstore/v1/pets%00',
    '/petstore/v1/pets%0d%0aX-Injected:1',
    '/petstore/v1/pets;jsessionid=1',
    '/petstore//v1/pets',
    '/petstore/v1/%252e%252e/admin',
    '/petstore/v1/pets%zz',
  ])('refuses %s', (path) => {
    expect(refused(`http://gw.test${path}`)).toBe(true);
  });

  it('keeps other percent-encodings and case exactly as sent', () => {
    expect(canonicalPath('http://gw.test/Pet%20Store/v1/Pets').path).toBe('/Pet%20Store/v1/Pets');
  });
});

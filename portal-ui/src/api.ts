/**
 * The portal's client of the control plane, same-origin under /api (a Pages Function forwards it
 * over a service binding, so the HttpOnly session cookie works). Response types come from the
 * control plane's zod schemas; errors are its RFC 9457 problem documents.
 */
import type { z } from 'zod';
import type { UserSchema } from '../../workers/control-plane/src/auth/schemas.ts';
import type { ApiSchema } from '../../workers/control-plane/src/publisher/apis/schemas.ts';

export type User = z.infer<typeof UserSchema>;
export type PublisherApi = z.infer<typeof ApiSchema>;

export interface CatalogApi {
  id: string;
  name: string;
  context: string;
  version: string;
  description: string;
  tags: string[];
  lifecycleState: string;
  subscriptionTiers: string[];
}
export interface Application {
  id: string;
  name: string;
  description: string;
  throttlingPolicy: string;
}
export interface Subscription {
  id: string;
  apiId: string;
  apiName: string;
  apiContext: string;
  apiVersion: string;
  tier: string;
  status: string;
}
export interface Keys {
  keyType: string;
  consumerKey: string;
  consumerSecret?: string;
  secretPrefix: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: Array<{ pointer: string; detail: string }>;
}

export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.problem = problem;
  }
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const parsed: unknown = text === '' ? null : JSON.parse(text);
  if (!res.ok) {
    const problem = (parsed ?? { type: 'about:blank', title: res.statusText, status: res.status }) as Problem;
    throw new ProblemError(problem);
  }
  return parsed as T;
}

export const portalApi = {
  me: () => call<{ user: User; scopes: string[] }>('GET', '/api/auth/me'),
  login: (email: string, password: string) => call<{ user: User }>('POST', '/api/auth/login', { email, password }),
  logout: () => call<null>('POST', '/api/auth/logout'),
  signup: (email: string, password: string, displayName: string) => call<User>('POST', '/api/devportal/v1/signup', { email, password, displayName }),
  catalog: (query: string) => call<{ list: CatalogApi[] }>('GET', `/api/devportal/v1/apis?limit=100${query === '' ? '' : `&query=${encodeURIComponent(query)}`}`),
  applications: () => call<{ list: Application[] }>('GET', '/api/devportal/v1/applications'),
  createApplication: (name: string) => call<Application>('POST', '/api/devportal/v1/applications', { name }),
  keys: (appId: string) => call<{ list: Keys[] }>('GET', `/api/devportal/v1/applications/${encodeURIComponent(appId)}/keys`),
  generateKeys: (appId: string) => call<Keys>('POST', `/api/devportal/v1/applications/${encodeURIComponent(appId)}/keys`, { keyType: 'PRODUCTION' }),
  subscriptions: (appId: string) => call<{ list: Subscription[] }>('GET', `/api/devportal/v1/subscriptions?applicationId=${encodeURIComponent(appId)}`),
  subscribe: (applicationId: string, apiId: string, tier: string) => call<Subscription>('POST', '/api/devportal/v1/subscriptions', { applicationId, apiId, tier }),
  testToken: (appId: string) => call<{ accessToken: string; expiresIn: number; scope: string }>('POST', `/api/devportal/v1/applications/${encodeURIComponent(appId)}/keys/PRODUCTION/test-token`, {}),
  publisherApis: () => call<{ list: PublisherApi[] }>('GET', '/api/publisher/v1/apis?limit=100'),
  lifecycle: (apiId: string) => call<{ lifecycleState: string; allowedTransitions: string[] }>('GET', `/api/publisher/v1/apis/${encodeURIComponent(apiId)}/lifecycle`),
  changeLifecycle: (apiId: string, state: string) => call<{ lifecycleState: string }>('POST', `/api/publisher/v1/apis/${encodeURIComponent(apiId)}/lifecycle`, { state }),
};

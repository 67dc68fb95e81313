import { call, enc, query } from './client.ts';
import type {
  ApiDocument,
  ChangePassword,
  UpdateMe,
  ApiKey,
  Application,
  ExternalClient,
  MapExternalClient,
  PublicKeyManager,
  CatalogApi,
  CatalogApiDetail,
  CatalogGraphql,
  CreatedKeys,
  KeyType,
  Keys,
  Me,
  Page,
  RateInput,
  RollApiKey,
  Rating,
  Ratings,
  Subscription,
  SubscriptionQuota,
  Usage,
  User,
} from './types.ts';

const DP = '/api/devportal/v1';
const app = (id: string) => `${DP}/applications/${enc(id)}`;

export const authApi = {
  me: () => call<Me>('GET', '/api/auth/me'),
  /** Who is signed in, or `user: null` (a 200, so an anonymous page logs no failed request). */
  session: () => call<{ user: Me['user'] | null; scopes: string[] }>('GET', '/api/auth/session'),
  login: (email: string, password: string) => call<{ user: User }>('POST', '/api/auth/login', { email, password }),
  logout: () => call<null>('POST', '/api/auth/logout'),
  rename: (body: UpdateMe) => call<{ user: User }>('PATCH', '/api/auth/me', body),
  changePassword: (body: ChangePassword) => call<null>('POST', '/api/auth/me/password', body),
};

export const devportalApi = {
  catalog: (text = '', tag = '') => call<Page<CatalogApi>>('GET', `${DP}/apis${query({ limit: 100, query: text, tag })}`),
  api: (id: string) => call<CatalogApiDetail>('GET', `${DP}/apis/${enc(id)}`),
  documents: (id: string) => call<Page<ApiDocument>>('GET', `${DP}/apis/${enc(id)}/documents`),
  openapi: (id: string) => call<Record<string, unknown>>('GET', `${DP}/apis/${enc(id)}/openapi`),
  graphql: (id: string) => call<CatalogGraphql>('GET', `${DP}/apis/${enc(id)}/graphql`),
  ratings: (id: string) => call<Ratings>('GET', `${DP}/apis/${enc(id)}/ratings`),
  rate: (id: string, body: RateInput) => call<Rating>('PUT', `${DP}/apis/${enc(id)}/ratings/mine`, body),
  withdrawRating: (id: string) => call<null>('DELETE', `${DP}/apis/${enc(id)}/ratings/mine`),
  applications: () => call<Page<Application>>('GET', `${DP}/applications`),
  createApplication: (body: { name: string; description?: string; throttlingPolicy?: string }) =>
    call<Application>('POST', `${DP}/applications`, body),
  updateApplication: (id: string, body: { name?: string; description?: string; throttlingPolicy?: string }) =>
    call<Application>('PATCH', app(id), body),
  deleteApplication: (id: string) => call<null>('DELETE', app(id)),
  keys: (id: string) => call<Page<Keys>>('GET', `${app(id)}/keys`),
  generateKeys: (id: string, keyType: KeyType) => call<CreatedKeys>('POST', `${app(id)}/keys`, { keyType }),
  regenerateSecret: (id: string, keyType: KeyType) => call<CreatedKeys>('POST', `${app(id)}/keys/${keyType}/regenerate-secret`),
  testToken: (id: string, keyType: KeyType, scope = '') =>
    call<{ accessToken: string; expiresIn: number; scope: string }>('POST', `${app(id)}/keys/${keyType}/test-token`, { scope }),
  apiKeys: (id: string) => call<Page<ApiKey>>('GET', `${app(id)}/api-keys`),
  createApiKey: (id: string, body: { name: string; keyType: KeyType; expiresInDays: number | null }) =>
    call<ApiKey & { key: string }>('POST', `${app(id)}/api-keys`, body),
  rollApiKey: (id: string, keyId: string, body: RollApiKey) =>
    call<{ key: ApiKey & { key: string }; previous: ApiKey }>('POST', `${app(id)}/api-keys/${enc(keyId)}/roll`, body),
  revokeApiKey: (id: string, keyId: string) => call<null>('DELETE', `${app(id)}/api-keys/${enc(keyId)}`),
  keyManagers: () => call<{ list: PublicKeyManager[] }>('GET', `${DP}/key-managers`),
  externalClients: (id: string) => call<{ list: ExternalClient[] }>('GET', `${app(id)}/external-clients`),
  mapExternalClient: (id: string, body: MapExternalClient) => call<ExternalClient>('POST', `${app(id)}/external-clients`, body),
  unmapExternalClient: (id: string, mappingId: string) => call<null>('DELETE', `${app(id)}/external-clients/${enc(mappingId)}`),
  subscriptions: (id: string) => call<Page<Subscription>>('GET', `${DP}/subscriptions${query({ applicationId: id })}`),
  subscribe: (applicationId: string, apiId: string, tier: string) =>
    call<Subscription>('POST', `${DP}/subscriptions`, { applicationId, apiId, tier }),
  changeTier: (subscriptionId: string, tier: string) => call<Subscription>('PATCH', `${DP}/subscriptions/${enc(subscriptionId)}`, { tier }),
  quota: (subscriptionId: string) => call<SubscriptionQuota>('GET', `${DP}/subscriptions/${enc(subscriptionId)}/quota`),
  unsubscribe: (subscriptionId: string) => call<null>('DELETE', `${DP}/subscriptions/${enc(subscriptionId)}`),
  usage: (q: { applicationId?: string; apiId?: string; from?: number; granularity?: 'minute' | 'hour' | 'day' }) =>
    call<Usage>('GET', `${DP}/usage${query(q)}`),
};

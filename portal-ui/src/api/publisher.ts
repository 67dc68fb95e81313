import { call, enc, query } from './client.ts';
import type {
  AddCollaborator,
  ApiDocument,
  CachePurge,
  Collaborator,
  CreateApi,
  ModerateRating,
  Rating,
  Ratings,
  Deployment,
  Undeployed,
  DocumentInput,
  Environment,
  ImportApi,
  Lifecycle,
  LifecycleState,
  Page,
  Policy,
  PolicyCatalogEntry,
  PublisherApi,
  PublisherApiSummary,
  Revision,
  Subscriber,
  UpdateApi,
  Usage,
} from './types.ts';

const PUB = '/api/publisher/v1';
const api = (id: string) => `${PUB}/apis/${enc(id)}`;

export const publisherApi = {
  list: (text = '') => call<Page<PublisherApiSummary>>('GET', `${PUB}/apis${query({ limit: 100, query: text })}`),
  get: (id: string) => call<PublisherApi>('GET', api(id)),
  create: (body: CreateApi) => call<PublisherApi>('POST', `${PUB}/apis`, body),
  import: (body: ImportApi) => call<PublisherApi>('POST', `${PUB}/apis/import`, body),
  keyManagers: () =>
    call<{ list: Array<{ name: string; displayName: string; issuer: string; environments: string[] }> }>('GET', `${PUB}/key-managers`),
  apiKeyManagers: (id: string) => call<{ keyManagers: string[] }>('GET', `${api(id)}/key-managers`),
  setApiKeyManagers: (id: string, keyManagers: string[]) =>
    call<{ keyManagers: string[] }>('PUT', `${api(id)}/key-managers`, { keyManagers }),
  update: (id: string, body: UpdateApi) => call<PublisherApi>('PATCH', api(id), body),
  policyCatalog: () => call<{ list: PolicyCatalogEntry[] }>('GET', `${PUB}/policies`),
  lifecycle: (id: string) => call<Lifecycle>('GET', `${api(id)}/lifecycle`),
  changeLifecycle: (id: string, state: LifecycleState) => call<Lifecycle>('POST', `${api(id)}/lifecycle`, { state }),
  revisions: (id: string) => call<Page<Revision>>('GET', `${api(id)}/revisions`),
  createRevision: (id: string, description: string) => call<Revision>('POST', `${api(id)}/revisions`, { description }),
  deployments: (id: string) => call<Page<Deployment>>('GET', `${api(id)}/deployments`),
  undeployedChanges: (id: string) => call<Page<Undeployed>>('GET', `${api(id)}/undeployed-changes`),
  deploy: (id: string, revisionId: string, environments: string[]) =>
    call<Page<Deployment>>('POST', `${api(id)}/deployments`, { revisionId, environments }),
  undeploy: (id: string, environment: string) => call<null>('DELETE', `${api(id)}/deployments/${enc(environment)}`),
  purgeResponseCache: (id: string) => call<CachePurge>('POST', `${api(id)}/response-cache/purge`),
  documents: (id: string) => call<Page<ApiDocument>>('GET', `${api(id)}/documents`),
  addDocument: (id: string, body: DocumentInput) => call<ApiDocument>('POST', `${api(id)}/documents`, body),
  replaceDocument: (id: string, docId: string, body: DocumentInput) => call<ApiDocument>('PUT', `${api(id)}/documents/${enc(docId)}`, body),
  deleteDocument: (id: string, docId: string) => call<null>('DELETE', `${api(id)}/documents/${enc(docId)}`),
  subscribers: (id: string) => call<Page<Subscriber>>('GET', `${api(id)}/subscriptions`),
  block: (subscriptionId: string, status: 'BLOCKED' | 'PROD_ONLY_BLOCKED' = 'BLOCKED') =>
    call<{ id: string; status: string }>('POST', `${PUB}/subscriptions/${enc(subscriptionId)}/block`, { status }),
  unblock: (subscriptionId: string) => call<{ id: string; status: string }>('POST', `${PUB}/subscriptions/${enc(subscriptionId)}/unblock`),
  collaborators: (id: string) => call<Page<Collaborator>>('GET', `${api(id)}/collaborators`),
  addCollaborator: (id: string, body: AddCollaborator) => call<Collaborator>('POST', `${api(id)}/collaborators`, body),
  removeCollaborator: (id: string, userId: string) => call<null>('DELETE', `${api(id)}/collaborators/${enc(userId)}`),
  ratings: (id: string) => call<Ratings>('GET', `${api(id)}/ratings`),
  moderateRating: (id: string, ratingId: string, body: ModerateRating) =>
    call<Rating>('PATCH', `${api(id)}/ratings/${enc(ratingId)}`, body),
  usage: (q: { apiId?: string; from?: number; granularity?: 'minute' | 'hour' | 'day' }) => call<Usage>('GET', `${PUB}/usage${query(q)}`),
  environments: () => call<Page<Environment>>('GET', '/api/admin/v1/environments'),
  /** A GraphQL backend's schema by introspection, as SDL (to create a GRAPHQL API from). */
  introspect: (url: string) => call<{ schema: string }>('POST', `${PUB}/graphql/introspection`, { url }),
  policies: (kind?: Policy['kind']) => call<Page<Policy>>('GET', `/api/admin/v1/throttling-policies${query({ kind })}`),
};

import { call, enc, query } from './client.ts';
import type {
  AdminApplication,
  AuditEntry,
  Branding,
  BlockingCondition,
  BlockingConditionInput,
  Environment,
  IntrospectionInput,
  IntrospectionResult,
  Keys,
  Page,
  PasswordGrantInput,
  PasswordGrantResult,
  Policy,
  PolicyInput,
  Settings,
  SigningKey,
  TrustedIssuer,
  KeyManager,
  KeyManagerInput,
  User,
  Workflow,
} from './types.ts';

const AD = '/api/admin/v1';

export const adminApi = {
  policies: () => call<Page<Policy>>('GET', `${AD}/throttling-policies`),
  createPolicy: (body: PolicyInput) => call<Policy>('POST', `${AD}/throttling-policies`, body),
  updatePolicy: (id: string, body: PolicyInput) => call<Policy>('PUT', `${AD}/throttling-policies/${enc(id)}`, body),
  deletePolicy: (id: string) => call<null>('DELETE', `${AD}/throttling-policies/${enc(id)}`),
  conditions: () => call<Page<BlockingCondition>>('GET', `${AD}/blocking-conditions`),
  createCondition: (body: BlockingConditionInput) => call<BlockingCondition>('POST', `${AD}/blocking-conditions`, body),
  toggleCondition: (id: string, enabled: boolean) => call<BlockingCondition>('PATCH', `${AD}/blocking-conditions/${enc(id)}`, { enabled }),
  deleteCondition: (id: string) => call<null>('DELETE', `${AD}/blocking-conditions/${enc(id)}`),
  environments: () => call<Page<Environment>>('GET', `${AD}/environments`),
  createEnvironment: (body: { name: string; displayName: string; type: Environment['type']; hostname: string | null }) =>
    call<Environment>('POST', `${AD}/environments`, body),
  users: () => call<Page<User>>('GET', `${AD}/users`),
  createUser: (body: { email: string; password: string; displayName: string; role: User['role'] }) =>
    call<User>('POST', `${AD}/users`, body),
  workflows: (status?: Workflow['status']) => call<Page<Workflow>>('GET', `${AD}/workflows${query({ status })}`),
  decide: (id: string, approve: boolean, reason: string) =>
    call<Workflow>('POST', `${AD}/workflows/${enc(id)}/decision`, { approve, reason }),
  setBranding: (body: Branding) => call<Branding>('PUT', `${AD}/branding`, body),
  settings: () => call<Settings>('GET', `${AD}/settings`),
  updateSettings: (body: Partial<Settings>) => call<Settings>('PATCH', `${AD}/settings`, body),
  audit: (q: {
    action?: string;
    entityType?: string;
    entityId?: string;
    actorId?: string;
    from?: number;
    to?: number;
    limit?: number;
    offset?: number;
  }) => call<Page<AuditEntry> & { total: number }>('GET', `${AD}/audit-log${query(q)}`),
  keyManagers: () => call<{ list: KeyManager[] }>('GET', `${AD}/key-managers`),
  createKeyManager: (body: KeyManagerInput) => call<KeyManager>('POST', `${AD}/key-managers`, body),
  deleteKeyManager: (id: string) => call<null>('DELETE', `${AD}/key-managers/${enc(id)}`),
  signingKeys: () => call<Page<SigningKey>>('GET', `${AD}/signing-keys`),
  addSigningKey: () => call<SigningKey>('POST', `${AD}/signing-keys`),
  activateSigningKey: (kid: string) => call<SigningKey>('POST', `${AD}/signing-keys/${enc(kid)}/activate`),
  retireSigningKey: (kid: string, body: { immediately: boolean }) =>
    call<SigningKey>('POST', `${AD}/signing-keys/${enc(kid)}/retire`, body),
  trustedIssuers: () => call<Page<TrustedIssuer>>('GET', `${AD}/trusted-issuers`),
  putTrustedIssuer: (body: TrustedIssuer) => call<TrustedIssuer>('PUT', `${AD}/trusted-issuers/${enc(body.name)}`, body),
  deleteTrustedIssuer: (name: string) => call<null>('DELETE', `${AD}/trusted-issuers/${enc(name)}`),
  applications: (text = '') => call<Page<AdminApplication>>('GET', `${AD}/applications${query({ query: text, limit: 200 })}`),
  passwordGrant: (applicationId: string, keyType: Keys['keyType'], body: PasswordGrantInput) =>
    call<PasswordGrantResult>('PUT', `${AD}/applications/${enc(applicationId)}/keys/${keyType}/password-grant`, body),
  introspection: (applicationId: string, keyType: Keys['keyType'], body: IntrospectionInput) =>
    call<IntrospectionResult>('PUT', `${AD}/applications/${enc(applicationId)}/keys/${keyType}/introspection`, body),
};

/**
 * Request and response types of the control plane, inferred from its zod schemas (the portal's
 * tsconfig references the control-plane project, so these are checked against its declarations).
 */
import type { z } from 'zod';
import type { Streaming } from '../../../workers/shared/revision.ts';
import type { ChangePasswordBody, UpdateMeBody, UserSchema } from '../../../workers/control-plane/src/auth/schemas.ts';
import type { CatalogApi as CatalogApiSchema, GraphqlSchemaView } from '../../../workers/control-plane/src/devportal/catalog/routes.ts';
import type { ApplicationSchema, CreatedKeySchema, KeySchema } from '../../../workers/control-plane/src/devportal/applications/routes.ts';
import type { ApiKeySchema, RollApiKeySchema } from '../../../workers/control-plane/src/devportal/api-keys/routes.ts';
import type {
  ExternalClientSchema,
  MapExternalClientSchema,
  PublicKeyManagerSchema,
} from '../../../workers/control-plane/src/devportal/external-clients/routes.ts';
import type { SigningKeySchema } from '../../../workers/control-plane/src/admin/signing-keys/routes.ts';
import type { SubscriptionQuotaSchema, SubscriptionSchema } from '../../../workers/control-plane/src/devportal/subscriptions/routes.ts';
import type { UsagePointSchema, UsageResponse } from '../../../workers/control-plane/src/analytics/routes.ts';
import type { ApiSchema, CreateApiBody, EndpointSecurityInput } from '../../../workers/control-plane/src/publisher/apis/schemas.ts';
import type { AddCollaboratorBody, CollaboratorSchema } from '../../../workers/control-plane/src/publisher/collaborators/routes.ts';
import type { ModerateRatingBody, RateBody, RatingsSchema } from '../../../workers/control-plane/src/feedback/routes.ts';
import type { UpdateApiBody } from '../../../workers/control-plane/src/publisher/apis/update.ts';
import type { LifecycleResult } from '../../../workers/control-plane/src/publisher/lifecycle/routes.ts';
import type {
  CachePurgeSchema,
  DeploymentSchema,
  RevisionSchema,
  UndeployedSchema,
} from '../../../workers/control-plane/src/publisher/deployments/routes.ts';
import type { DocumentBody, DocumentSchema } from '../../../workers/control-plane/src/publisher/documents/routes.ts';
import type { SubscriberSchema } from '../../../workers/control-plane/src/publisher/subscriptions/routes.ts';
import type { ImportJson } from '../../../workers/control-plane/src/publisher/openapi/routes.ts';
import type { PolicyCatalogEntry as PolicyCatalogEntrySchema } from '../../../workers/control-plane/src/publisher/policies/routes.ts';
import type { PolicyBody, PolicySchema } from '../../../workers/control-plane/src/admin/policies/routes.ts';
import type { ConditionSchema, CreateBody as CreateConditionBody } from '../../../workers/control-plane/src/admin/blocking/routes.ts';
import type { EnvironmentSchema } from '../../../workers/control-plane/src/admin/environments/routes.ts';
import type { SettingsSchema, WorkflowSchema } from '../../../workers/control-plane/src/admin/workflows/routes.ts';
import type { EntrySchema } from '../../../workers/control-plane/src/admin/audit/routes.ts';
import type { BrandingSchema } from '../../../workers/control-plane/src/admin/branding/routes.ts';
import type {
  AdminApplicationSchema,
  IntrospectionBody,
  IntrospectionResult as IntrospectionResultSchema,
  PasswordGrantBody,
  PasswordGrantResult as PasswordGrantResultSchema,
} from '../../../workers/control-plane/src/admin/applications/routes.ts';
import type { IssuerSchema } from '../../../workers/control-plane/src/admin/trusted-issuers/routes.ts';
import type { CreateKeyManagerBody, KeyManagerSchema } from '../../../workers/control-plane/src/admin/key-managers/routes.ts';
import type {
  AlertEventSchema,
  AlertRuleSchema,
  CreatedAlertRuleSchema,
  UpdateAlertRuleBody,
  createBody as alertRuleBody,
} from '../../../workers/control-plane/src/alerts/routes.ts';

export type User = z.infer<typeof UserSchema>;
export type Me = { user: User; scopes: string[] };
export type UpdateMe = z.input<typeof UpdateMeBody>;
export type ChangePassword = z.input<typeof ChangePasswordBody>;
export type CatalogApi = z.infer<typeof CatalogApiSchema>;
export type PublisherApi = z.infer<typeof ApiSchema>;
export type PublisherApiSummary = Omit<PublisherApi, 'resources' | 'endpoints' | 'graphql'>;
/** A GraphQL API's schema and limits, as the catalog shows them. */
export type CatalogGraphql = z.infer<typeof GraphqlSchemaView>;
export type Resource = PublisherApi['resources'][number];
/** GET /apis/{id} of the catalog: the card plus its resources. */
export type CatalogApiDetail = CatalogApi & {
  resources: Array<Pick<Resource, 'method' | 'path' | 'authType' | 'scopes'>>;
  /** A WS or SSE API's connection limits; null for HTTP and GraphQL. */
  streaming: Streaming | null;
};
export type Application = z.infer<typeof ApplicationSchema>;
export type Keys = z.infer<typeof KeySchema>;
export type CreatedKeys = z.infer<typeof CreatedKeySchema>;
export type KeyType = Keys['keyType'];
export type ApiKey = z.infer<typeof ApiKeySchema>;
export type PublicKeyManager = z.infer<typeof PublicKeyManagerSchema>;
export type ExternalClient = z.infer<typeof ExternalClientSchema>;
export type MapExternalClient = z.input<typeof MapExternalClientSchema>;
export type RollApiKey = z.input<typeof RollApiKeySchema>;
export type SigningKey = z.infer<typeof SigningKeySchema>;
export type Subscription = z.infer<typeof SubscriptionSchema>;
export type SubscriptionQuota = z.infer<typeof SubscriptionQuotaSchema>;
export type Usage = z.infer<typeof UsageResponse>;
export type UsagePoint = z.infer<typeof UsagePointSchema>;
export type CreateApi = z.input<typeof CreateApiBody>;
export type UpdateApi = z.input<typeof UpdateApiBody>;
/** A policy a publisher can attach (GET /policies), with the JSON Schema of its config. */
export type PolicyCatalogEntry = z.infer<typeof PolicyCatalogEntrySchema>;
export type ImportApi = z.input<typeof ImportJson>;
export type Lifecycle = z.infer<typeof LifecycleResult>;
export type LifecycleState = Lifecycle['lifecycleState'];
export type Revision = z.infer<typeof RevisionSchema>;
export type Deployment = z.infer<typeof DeploymentSchema>;
export type Undeployed = z.infer<typeof UndeployedSchema>;
export type CachePurge = z.infer<typeof CachePurgeSchema>;
export type ApiDocument = z.infer<typeof DocumentSchema>;
export type DocumentInput = z.input<typeof DocumentBody>;
export type Subscriber = z.infer<typeof SubscriberSchema>;
export type Policy = z.infer<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicyBody>;
export type BlockingCondition = z.infer<typeof ConditionSchema>;
export type BlockingConditionInput = z.input<typeof CreateConditionBody>;
export type Environment = z.infer<typeof EnvironmentSchema>;
export type Workflow = z.infer<typeof WorkflowSchema>;
export type Settings = z.infer<typeof SettingsSchema>;
export type AuditEntry = z.infer<typeof EntrySchema>;
export type Branding = z.infer<typeof BrandingSchema>;
export type Visibility = NonNullable<UpdateApi['visibility']>;
export type { Role } from '../../../workers/shared/roles.ts';
/** An endpoint as the API shows it: its security names the kind and user or header, never the secret. */
export type Endpoint = NonNullable<PublisherApi['endpoints']['production']>;
export type EndpointInput = NonNullable<NonNullable<NonNullable<UpdateApi['endpoints']>['production']>>;
export type EndpointStrategy = NonNullable<EndpointInput['strategy']>;
export type EndpointSecurity = z.input<typeof EndpointSecurityInput>;
export type HeaderEdits = NonNullable<PublisherApi['headerEdits']>;
export type Collaborator = z.infer<typeof CollaboratorSchema>;
export type AddCollaborator = z.input<typeof AddCollaboratorBody>;
export type Ratings = z.infer<typeof RatingsSchema>;
export type Rating = Ratings['list'][number];
export type RateInput = z.input<typeof RateBody>;
export type ModerateRating = z.input<typeof ModerateRatingBody>;
export type ConditionalGroupInput = NonNullable<PolicyInput['conditionalGroups']>[number];
export type ConditionInput = ConditionalGroupInput['conditions'][number];
export type AdminApplication = z.infer<typeof AdminApplicationSchema>;
export type PasswordGrantInput = z.input<typeof PasswordGrantBody>;
export type PasswordGrantResult = z.infer<typeof PasswordGrantResultSchema>;
export type IntrospectionInput = z.input<typeof IntrospectionBody>;
export type IntrospectionResult = z.infer<typeof IntrospectionResultSchema>;
export type TrustedIssuer = z.infer<typeof IssuerSchema>;
export type KeyManager = z.infer<typeof KeyManagerSchema>;
export type KeyManagerInput = z.input<typeof CreateKeyManagerBody>;
export type AlertRule = z.infer<typeof AlertRuleSchema>;
export type CreatedAlertRule = z.infer<typeof CreatedAlertRuleSchema>;
export type AlertRuleInput = z.input<ReturnType<typeof alertRuleBody>>;
export type AlertRuleUpdate = z.input<typeof UpdateAlertRuleBody>;
export type AlertEvent = z.infer<typeof AlertEventSchema>;
export type AlertMetric = AlertRule['metric'];
export interface Page<T> {
  list: T[];
}
export type CatalogTier = CatalogApi['tiers'][number];

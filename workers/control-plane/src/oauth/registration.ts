/**
 * Dynamic client registration (RFC 7591) with its management protocol (RFC 7592), decision 0039.
 * The initial access token (RFC 7591 §3) is a developer's management token (tpm_…) holding
 * `apps:manage`, or one an admin issued for a developer (tpi_…, `initial-access.ts`): the client becomes a Turnpike application owned by that developer — subscribed,
 * throttled, blocked and listed in the portal like any other — with PRODUCTION client credentials.
 * Each client gets a registration access token (RFC 7592 §3) that reads, replaces and deletes its
 * configuration and nothing else.
 */
import { and, eq, isNotNull } from 'drizzle-orm';
import type { Context } from 'hono';
import { newSecret, sha256Hex, timingSafeEqual } from '../../../shared/crypto.ts';
import { newId, randomString } from '../../../shared/ids.ts';
import { auditEntry } from '../audit.ts';
import { schema, type Database } from '../db.ts';
import { removeApplicationSubscriptions } from '../gateway-sync/subscriptions.ts';
import type { AppEnv } from '../types.ts';
import { SELF_SERVICE_GRANT_TYPES } from './grant-registry.ts';
import { initialAccess } from './initial-access.ts';
import { redirectUriProblem } from './redirect-uri.ts';

const BODY_LIMIT = 16 * 1024;
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;

/** RFC 7591 §3.2.2 error codes, plus RFC 6750 §3.1's for the tokens. */
type RegistrationError = 'invalid_redirect_uri' | 'invalid_client_metadata' | 'invalid_token' | 'invalid_request';

function registrationError(status: 400 | 401 | 403 | 413 | 415, error: RegistrationError, description: string): Response {
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' });
  if (status === 401) headers.set('www-authenticate', 'Bearer realm="turnpike", error="invalid_token"');
  return new Response(JSON.stringify({ error, error_description: description }), { status, headers });
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' },
  });

interface Metadata {
  readonly redirectUris: string[];
  readonly grantTypes: string[];
  readonly clientName: string | null;
  readonly authMethod: (typeof AUTH_METHODS)[number];
}

const strings = (v: unknown): string[] | null => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null);

/**
 * RFC 7591 §2: the metadata Turnpike understands; §2 also says to ignore the rest. The grant and
 * response types must agree (§2.1), and a redirecting grant needs redirect URIs (§2).
 */
function parseMetadata(body: Record<string, unknown>): { ok: true; value: Metadata } | { ok: false; response: Response } {
  const fail = (error: RegistrationError, description: string) => ({
    ok: false as const,
    response: registrationError(400, error, description),
  });
  const redirectUris = body['redirect_uris'] === undefined ? [] : strings(body['redirect_uris']);
  if (redirectUris === null || redirectUris.length > 20)
    return fail('invalid_redirect_uri', 'redirect_uris must be an array of at most 20 URIs');
  for (const uri of redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem !== null) return fail('invalid_redirect_uri', `${uri}: ${problem}`);
  }
  const grantTypes = body['grant_types'] === undefined ? ['authorization_code'] : strings(body['grant_types']);
  if (grantTypes === null || grantTypes.length === 0)
    return fail('invalid_client_metadata', 'grant_types must be a non-empty array of strings');
  const unsupported = grantTypes.filter((g) => !(SELF_SERVICE_GRANT_TYPES as readonly string[]).includes(g));
  if (unsupported.length > 0) return fail('invalid_client_metadata', `Unsupported grant_types: ${unsupported.join(' ')}`);
  const responseTypes =
    body['response_types'] === undefined ? (grantTypes.includes('authorization_code') ? ['code'] : []) : strings(body['response_types']);
  if (responseTypes === null || responseTypes.some((r) => r !== 'code'))
    return fail('invalid_client_metadata', 'Only the response type code is supported');
  if (responseTypes.includes('code') !== grantTypes.includes('authorization_code'))
    return fail('invalid_client_metadata', 'response_types code and grant_types authorization_code go together (RFC 7591 §2.1)');
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0)
    return fail('invalid_redirect_uri', 'The authorization_code grant needs at least one redirect URI');
  const method = body['token_endpoint_auth_method'] ?? 'client_secret_basic';
  if (typeof method !== 'string' || !(AUTH_METHODS as readonly string[]).includes(method))
    return fail(
      'invalid_client_metadata',
      `token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')} (public clients are not supported)`,
    );
  const name = body['client_name'];
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '' || name.length > 100))
    return fail('invalid_client_metadata', 'client_name must be a string of 1 to 100 characters');
  return {
    ok: true,
    value: {
      redirectUris,
      grantTypes: [...new Set(grantTypes)],
      clientName: typeof name === 'string' ? name.trim() : null,
      authMethod: method as Metadata['authMethod'],
    },
  };
}

async function jsonBodyOf(c: Context<AppEnv>): Promise<{ ok: true; body: Record<string, unknown> } | { ok: false; response: Response }> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    return { ok: false, response: registrationError(415, 'invalid_request', 'The body must be application/json (RFC 7591 §3.1)') };
  const text = await c.req.text();
  if (text.length > BODY_LIMIT) return { ok: false, response: registrationError(413, 'invalid_request', 'The request body is too large') };
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return { ok: false, response: registrationError(400, 'invalid_client_metadata', 'The body must be a JSON object') };
    return { ok: true, body: parsed as Record<string, unknown> };
  } catch {
    return { ok: false, response: registrationError(400, 'invalid_client_metadata', 'The body is not valid JSON') };
  }
}

const bearerOf = (c: Context<AppEnv>) => /^bearer ([^\s]+)$/i.exec(c.req.header('authorization')?.trim() ?? '')?.[1] ?? null;

type Client = typeof schema.applicationKeys.$inferSelect & { application: typeof schema.applications.$inferSelect };

/** RFC 7591 §3.2.1 / RFC 7592 §3: the client's information response. */
function clientInformation(env: Env, client: Client, secrets: { clientSecret?: string; registrationToken?: string }) {
  return {
    client_id: client.consumerKey,
    ...(secrets.clientSecret === undefined ? {} : { client_secret: secrets.clientSecret, client_secret_expires_at: 0 }),
    client_id_issued_at: Math.floor(client.createdAt / 1000),
    ...(secrets.registrationToken === undefined ? {} : { registration_access_token: secrets.registrationToken }),
    registration_client_uri: `${env.ISSUER}/oauth2/register/${client.consumerKey}`,
    client_name: client.application.name,
    redirect_uris: client.callbackUrls,
    grant_types: client.grantTypes,
    response_types: client.grantTypes.includes('authorization_code') ? ['code'] : [],
    token_endpoint_auth_method: client.application.attributes['token_endpoint_auth_method'] ?? 'client_secret_basic',
    // Turnpike's own: where the developer finds it in the portal.
    application_id: client.applicationId,
  };
}

async function clientById(db: Database, clientId: string): Promise<Client | undefined> {
  const row = (
    await db
      .select({ key: schema.applicationKeys, application: schema.applications })
      .from(schema.applicationKeys)
      .innerJoin(schema.applications, eq(schema.applications.id, schema.applicationKeys.applicationId))
      .where(and(eq(schema.applicationKeys.consumerKey, clientId), isNotNull(schema.applicationKeys.registrationTokenHash)))
      .limit(1)
  )[0];
  return row === undefined ? undefined : { ...row.key, application: row.application };
}

/** RFC 7591 §3: POST /oauth2/register with the initial access token. */
export async function register(c: Context<AppEnv>): Promise<Response> {
  const access = await initialAccess(c.var.db, bearerOf(c));
  if (!access.ok) return registrationError(access.status, 'invalid_token', access.description);
  const principal = access.owner;
  const parsedBody = await jsonBodyOf(c);
  if (!parsedBody.ok) return parsedBody.response;
  const parsed = parseMetadata(parsedBody.body);
  if (!parsed.ok) return parsed.response;
  const meta = parsed.value;
  const db = c.var.db;
  const workflows = (await db.select().from(schema.settings).where(eq(schema.settings.key, 'workflows')).limit(1))[0]?.value as
    Record<string, boolean> | undefined;
  const needsApproval = workflows?.['APPLICATION_CREATION'] === true;
  const applicationId = newId('application');
  const keyId = newId('applicationKey');
  const consumerKey = `ck_${randomString(24)}`;
  const secret = newSecret('cs_');
  const registrationToken = newSecret('rat_');
  // Application names are unique per owner; a registered client's carries a suffix of its id.
  const name = `${meta.clientName ?? 'Registered client'} (${consumerKey.slice(3, 11)})`;
  const attributes = { registered_by: 'dynamic_client_registration', token_endpoint_auth_method: meta.authMethod };
  await db.batch([
    db.insert(schema.applications).values({
      id: applicationId,
      name,
      description: 'Registered through dynamic client registration (RFC 7591)',
      ownerId: principal.userId,
      status: needsApproval ? 'CREATED' : 'APPROVED',
      attributes,
    }),
    ...(needsApproval
      ? [
          db
            .insert(schema.workflows)
            .values({ id: newId('workflow'), type: 'APPLICATION_CREATION', referenceId: applicationId, requestedBy: principal.userId }),
        ]
      : []),
    db.insert(schema.applicationKeys).values({
      id: keyId,
      applicationId,
      keyType: 'PRODUCTION',
      consumerKey,
      secretHash: await sha256Hex(secret),
      secretPrefix: secret.slice(0, 7),
      grantTypes: meta.grantTypes,
      callbackUrls: meta.redirectUris,
      registrationTokenHash: await sha256Hex(registrationToken),
    }),
    auditEntry(db, principal, 'client.register', { type: 'application', id: applicationId }, null, {
      consumerKey,
      grantTypes: meta.grantTypes,
      redirectUris: meta.redirectUris,
    }),
  ]);
  const client = await clientById(db, consumerKey);
  if (client === undefined) throw new Error('registered client not found');
  return json(clientInformation(c.env, client, { clientSecret: secret, registrationToken }), 201);
}

/**
 * RFC 7592 §3: the registration access token of this very client, or 401 — the same for an unknown
 * client, so the endpoint does not tell which client ids exist.
 */
async function managedClient(c: Context<AppEnv>): Promise<{ ok: true; client: Client } | { ok: false; response: Response }> {
  const token = bearerOf(c);
  const client = await clientById(c.var.db, c.req.param('clientId') ?? '');
  const presented = await sha256Hex(token ?? '');
  if (
    token === null ||
    client === undefined ||
    client.registrationTokenHash === null ||
    !timingSafeEqual(presented, client.registrationTokenHash)
  ) {
    return { ok: false, response: registrationError(401, 'invalid_token', 'The registration access token is invalid for this client') };
  }
  return { ok: true, client };
}

/** RFC 7592 §2.1: read the client's configuration (its secret is stored hashed, so not returned). */
export async function readRegistration(c: Context<AppEnv>): Promise<Response> {
  const managed = await managedClient(c);
  if (!managed.ok) return managed.response;
  return json(clientInformation(c.env, managed.client, {}));
}

/** RFC 7592 §2.2: replace the metadata; fields left out take their defaults, client_id must match. */
export async function updateRegistration(c: Context<AppEnv>): Promise<Response> {
  const managed = await managedClient(c);
  if (!managed.ok) return managed.response;
  const client = managed.client;
  const parsedBody = await jsonBodyOf(c);
  if (!parsedBody.ok) return parsedBody.response;
  const body = parsedBody.body;
  if (body['client_id'] !== client.consumerKey)
    return registrationError(400, 'invalid_client_metadata', 'client_id must be given and match the client (RFC 7592 §2.2)');
  // §2.2: the secret may be sent back for comparison, never changed by the client.
  if (
    body['client_secret'] !== undefined &&
    (typeof body['client_secret'] !== 'string' || !timingSafeEqual(await sha256Hex(body['client_secret']), client.secretHash))
  )
    return registrationError(400, 'invalid_client_metadata', 'client_secret does not match; it cannot be changed here');
  const parsed = parseMetadata(body);
  if (!parsed.ok) return parsed.response;
  const meta = parsed.value;
  const db = c.var.db;
  const name = meta.clientName === null ? client.application.name : `${meta.clientName} (${client.consumerKey.slice(3, 11)})`;
  const attributes = { ...client.application.attributes, token_endpoint_auth_method: meta.authMethod };
  await db.batch([
    db
      .update(schema.applicationKeys)
      .set({ grantTypes: meta.grantTypes, callbackUrls: meta.redirectUris, updatedAt: Date.now() })
      .where(eq(schema.applicationKeys.id, client.id)),
    db.update(schema.applications).set({ name, attributes, updatedAt: Date.now() }).where(eq(schema.applications.id, client.applicationId)),
  ]);
  const updated = await clientById(db, client.consumerKey);
  if (updated === undefined) throw new Error('registered client not found');
  return json(clientInformation(c.env, updated, {}));
}

/** RFC 7592 §2.3: deregister — the application goes, with its subscriptions and tokens. */
export async function deleteRegistration(c: Context<AppEnv>): Promise<Response> {
  const managed = await managedClient(c);
  if (!managed.ok) return managed.response;
  const db = c.var.db;
  const { applicationId } = managed.client;
  const subs = await db
    .select({ apiId: schema.subscriptions.apiId })
    .from(schema.subscriptions)
    .where(eq(schema.subscriptions.applicationId, applicationId));
  await db.batch([
    db.delete(schema.applications).where(eq(schema.applications.id, applicationId)),
    auditEntry(
      db,
      null,
      'client.deregister',
      { type: 'application', id: applicationId },
      { consumerKey: managed.client.consumerKey },
      null,
    ),
  ]);
  await removeApplicationSubscriptions(
    c.env,
    applicationId,
    subs.map((s) => s.apiId),
  );
  return new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } });
}

/** `validate`, `diff`, `apply`, `status`, `init`, `export`: an API project against a control plane. */
import { resolve } from 'node:path';
import { connect } from '../connect.ts';
import { loadProfile } from '../credentials.ts';
import { CliError, EXIT, type Output } from '../output.ts';
import { formatChanges, planCreate, planUpdate, type Plan } from '../plan.ts';
import { exportProject } from '../project/export.ts';
import { loadProject, projectEnvironments, type Project } from '../project/load.ts';
import { scaffold } from '../project/scaffold.ts';
import { applyProducts } from '../project/products.ts';
import { RemoteError, type ControlPlane } from '../remote.ts';

export interface ProjectOptions {
  dir: string;
  env?: string;
  url?: string;
  profile?: string;
}

export async function open(out: Output, o: ProjectOptions): Promise<{ project: Project; cp: ControlPlane }> {
  const project = await loadProject(o.dir, o.env);
  project.secrets.forEach((s) => out.mask(s));
  const cp = connect({
    url: o.url,
    profile: o.profile,
    projectUrl: project.environment.controlPlane,
    projectProfile: project.environment.profile,
  });
  return { project, cp };
}

export async function currentPlan(
  project: Project,
  cp: ControlPlane,
  options = { resendSecrets: false },
  found?: Awaited<ReturnType<ControlPlane['findApi']>>,
): Promise<Plan> {
  // `found`: the API as the caller already looked it up (status), so it is not asked for twice.
  const remote = found ?? (await cp.findApi(project.api.context, project.api.version));
  if (remote === undefined) return planCreate(project.api, project.lifecycle);
  // A GraphQL API's definition is its schema, compared as a field: no document to fetch.
  return planUpdate(
    project.api,
    project.lifecycle,
    remote,
    project.api.openapi === null ? {} : await cp.exportDocument(remote.id),
    options,
  );
}

const title = (p: Project) => `${p.api.name} ${p.api.context} ${p.api.version}`;

export async function validate(out: Output, o: ProjectOptions): Promise<void> {
  // Without --env every environment is checked: each must resolve its parameters.
  const names = o.env === undefined ? projectEnvironments(o.dir) : [o.env];
  const checked = await Promise.all(names.map((name) => loadProject(o.dir, name)));
  checked.forEach((p) => p.secrets.forEach((s) => out.mask(s)));
  const first = checked[0];
  if (first === undefined) throw new CliError('No environment to validate');
  out.result(
    `${first.file} is valid: ${title(first)}, ${first.api.resources.length} resources from ${first.definitionFile}; environments ${names.join(', ')}`,
    {
      valid: true,
      file: first.file,
      definition: first.definitionFile,
      api: { name: first.api.name, context: first.api.context, version: first.api.version, resources: first.api.resources.length },
      environments: names,
    },
  );
}

export async function diff(out: Output, o: ProjectOptions & { exitCode: boolean }): Promise<number> {
  const { project, cp } = await open(out, o);
  const plan = await currentPlan(project, cp);
  const text =
    plan.changes.length === 0
      ? `No changes: ${title(project)} on ${cp.url} matches ${project.file}`
      : `${plan.apiId === undefined ? 'Not on the control plane yet; apply would create it' : `${plan.changes.length} change(s) against ${cp.url}`}:\n${formatChanges(plan.changes)}`;
  out.result(text, {
    environment: project.environmentName,
    controlPlane: cp.url,
    exists: plan.apiId !== undefined,
    apiId: plan.apiId ?? null,
    changes: plan.changes,
  });
  return o.exitCode && plan.changes.length > 0 ? EXIT.changes : EXIT.ok;
}

export async function apply(out: Output, o: ProjectOptions & { dryRun: boolean; resendSecrets: boolean }): Promise<void> {
  const { project, cp } = await open(out, o);
  const plan = await currentPlan(project, cp, { resendSecrets: o.resendSecrets });
  const data = { environment: project.environmentName, controlPlane: cp.url, dryRun: o.dryRun, changes: plan.changes };
  if (plan.changes.length === 0 || o.dryRun) {
    // The API's products (decision 0049) are compared, and applied, even when the API is unchanged.
    const products = await applyProducts(out, cp, project.products, plan.apiId, o.dryRun);
    const productLines = products.length === 0 ? '' : `\n${products.join('\n')}`;
    if (plan.changes.length === 0 && (products.length === 0 || !o.dryRun)) {
      const text = `No changes: ${title(project)} is up to date on ${cp.url}`;
      out.result(products.length === 0 ? text : `${text}; applied to its products:${productLines}`, {
        ...data,
        applied: products.length > 0,
        apiId: plan.apiId,
        products,
      });
      return;
    }
    out.result(`Would apply to ${cp.url} (dry run, nothing changed):\n${formatChanges(plan.changes)}${productLines}`, {
      ...data,
      applied: false,
      apiId: plan.apiId ?? null,
      products,
    });
    return;
  }
  let apiId = plan.apiId;
  try {
    if (apiId === undefined) {
      out.progress(`creating ${title(project)} with ${project.api.resources.length} resources`);
      // A WebSocket API has no OpenAPI document to keep (its AsyncAPI channels are its resources), nor has a GraphQL API.
      const { openapi, ...body } = project.api;
      apiId = (await cp.createApi(openapi === null || project.api.type === 'WS' ? body : { ...body, openapi })).id;
    } else if (Object.keys(plan.patch).length > 0) {
      out.progress(`updating ${title(project)}: ${Object.keys(plan.patch).join(', ')}`);
      await cp.updateApi(apiId, plan.patch);
    }
  } catch (err) {
    // The control plane names fields of its request; name them in the project's files instead.
    if (err instanceof RemoteError)
      throw new CliError(
        err.message,
        (err.body.errors ?? []).map((e) => ({ ...project.locate(e.pointer ?? ''), message: e.detail ?? 'invalid' })),
      );
    throw err;
  }
  if (plan.lifecycle !== undefined) {
    out.progress(`moving ${title(project)} from ${plan.lifecycle.from} to ${plan.lifecycle.to}`);
    await cp.changeLifecycle(apiId, plan.lifecycle.to);
  }
  const products = await applyProducts(out, cp, project.products, apiId, false);
  out.result(
    `Applied to ${cp.url}:\n${formatChanges(plan.changes)}${products.length === 0 ? '' : `\n${products.join('\n')}`}\nDeploy it with: turnpike deploy${project.environments.length > 1 ? ` --env ${project.environmentName}` : ''}`,
    { ...data, applied: true, apiId, products },
  );
}

export async function status(out: Output, o: ProjectOptions): Promise<void> {
  const { project, cp } = await open(out, o);
  const remote = await cp.findApi(project.api.context, project.api.version);
  if (remote === undefined) {
    out.result(`${title(project)} is not on ${cp.url} yet: run turnpike apply`, {
      environment: project.environmentName,
      controlPlane: cp.url,
      exists: false,
    });
    return;
  }
  const [revisions, deployments, plan] = await Promise.all([
    cp.revisions(remote.id),
    cp.deployments(remote.id),
    currentPlan(project, cp, undefined, remote),
  ]);
  const numberOf = new Map(revisions.map((r) => [r.id, r.number]));
  const gateways = project.environment.gateways.map((g) => {
    const d = deployments.find((x) => x.environment === g);
    return {
      environment: g,
      revision: d === undefined ? null : (numberOf.get(d.revisionId) ?? null),
      deployedAt: d === undefined ? null : new Date(d.deployedAt).toISOString(),
    };
  });
  const latest = revisions[0]?.number ?? null;
  const lines = [
    `${title(project)} (${remote.id}) on ${cp.url}`,
    `  lifecycle: ${remote.lifecycleState}`,
    `  revisions: ${revisions.length}${latest === null ? '' : `, latest ${latest}`}`,
    ...gateways.map((g) => `  ${g.environment}: ${g.revision === null ? 'not deployed' : `revision ${g.revision} since ${g.deployedAt}`}`),
    `  project files: ${plan.changes.length === 0 ? 'applied' : `${plan.changes.length} change(s) not applied (turnpike diff)`}`,
  ];
  out.result(lines.join('\n'), {
    environment: project.environmentName,
    controlPlane: cp.url,
    exists: true,
    apiId: remote.id,
    lifecycleState: remote.lifecycleState,
    latestRevision: latest,
    gateways,
    pendingChanges: plan.changes.length,
  });
}

/**
 * The project points at the control plane given, else at the one of the login profile (so `turnpike
 * login --url X` then `turnpike init` writes X, not the default port), else at `npm start`'s. Its
 * backend defaults to the demo backend beside a local control plane (npm start and the e2e platform
 * put it two ports above); a remote one has no known backend, so the placeholder is said to be one.
 */
export function init(
  out: Output,
  o: {
    dir: string;
    name: string;
    context: string;
    version: string;
    backend?: string;
    controlPlane?: string;
    profile: string;
    force: boolean;
  },
): void {
  const controlPlane = (o.controlPlane ?? loadProfile(o.profile)?.url ?? process.env.TURNPIKE_URL ?? 'http://127.0.0.1:8788').replace(
    /\/$/,
    '',
  );
  const backend = o.backend ?? localBackend(controlPlane) ?? 'https://backend.example.com';
  const files = scaffold(resolve(o.dir), { ...o, controlPlane, backend }, o.force);
  const note =
    o.backend === undefined && localBackend(controlPlane) === null
      ? `\nThe backend ${backend} is a placeholder: set your API's URL in turnpike.yaml (or pass --backend).`
      : '';
  out.result(
    `Created ${files.join(' and ')} for the control plane ${controlPlane}.${note}\nNext: turnpike validate, then turnpike apply and turnpike deploy.`,
    { files, controlPlane, backend },
  );
}

function localBackend(controlPlane: string): string | null {
  const url = new URL(controlPlane);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) || url.port === '') return null;
  return `${url.protocol}//${url.hostname}:${Number(url.port) + 2}/echo`;
}

export async function exportApi(
  out: Output,
  o: { dir: string; url?: string; profile?: string; env?: string; context?: string; version?: string; id?: string; force: boolean },
): Promise<void> {
  const cp = connect({ url: o.url, profile: o.profile });
  let api;
  if (o.id !== undefined) api = await cp.getApi(o.id);
  else {
    if (o.context === undefined || o.version === undefined)
      throw new CliError('Name the API: turnpike export <context> <version>, or --id <apiId>', [], EXIT.usage);
    api = await cp.findApi(o.context, o.version);
    if (api === undefined) throw new CliError(`No API ${o.context} ${o.version} on ${cp.url} that you manage`);
  }
  const [document, deployments] = await Promise.all([cp.exportDocument(api.id), cp.deployments(api.id)]);
  const gateways = deployments.length > 0 ? [...new Set(deployments.map((d) => d.environment))] : ['production'];
  const files = exportProject(resolve(o.dir), api, document, { name: o.env ?? 'default', controlPlane: cp.url, gateways }, o.force);
  out.result(`Exported ${api.name} ${api.context} ${api.version} to ${files.join(' and ')}`, { apiId: api.id, files });
}

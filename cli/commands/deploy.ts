/** `deploy` and `rollback`: revisions of the API onto the environment's gateway environments. */
import { CliError, type Output } from '../output.ts';
import { formatChanges } from '../plan.ts';
import { currentPlan, open, type ProjectOptions } from './project.ts';

export async function deploy(out: Output, o: ProjectOptions & { description?: string; force: boolean }): Promise<void> {
  const { project, cp } = await open(out, o);
  const plan = await currentPlan(project, cp);
  if (plan.apiId === undefined)
    throw new CliError(`${project.api.context} ${project.api.version} is not on ${cp.url} yet: run turnpike apply first`);
  // A revision freezes what the control plane holds; deploying while the files say otherwise
  // would ship something nobody reviewed.
  const pending = plan.changes.filter((c) => c.field !== 'lifecycle');
  if (pending.length > 0 && !o.force) {
    throw new CliError(
      `The control plane's API differs from ${project.file}; run turnpike apply first (or deploy anyway with --force):\n${formatChanges(pending)}`,
    );
  }
  const gateways = project.environment.gateways;
  out.progress(`creating a revision of ${project.api.name} ${project.api.context} ${project.api.version}`);
  const revision = await cp.createRevision(plan.apiId, o.description ?? `turnpike deploy (${project.environmentName})`);
  out.progress(`deploying revision ${revision.number} to ${gateways.join(', ')}`);
  const deployed = await cp.deploy(plan.apiId, revision.id, gateways);
  out.result(`Deployed revision ${revision.number} of ${project.api.name} to ${deployed.map((d) => d.environment).join(', ')}`, {
    apiId: plan.apiId,
    revision: { id: revision.id, number: revision.number },
    environments: deployed.map((d) => d.environment),
  });
}

export async function rollback(out: Output, o: ProjectOptions & { to?: number }): Promise<void> {
  const { project, cp } = await open(out, o);
  const api = await cp.findApi(project.api.context, project.api.version);
  if (api === undefined) throw new CliError(`${project.api.context} ${project.api.version} is not on ${cp.url}`);
  const [revisions, deployments] = await Promise.all([cp.revisions(api.id), cp.deployments(api.id)]);
  const byId = new Map(revisions.map((r) => [r.id, r]));
  const moves = project.environment.gateways.map((gateway) => {
    const current = deployments.find((d) => d.environment === gateway);
    if (current === undefined) throw new CliError(`${api.name} is not deployed to ${gateway}: nothing to roll back`);
    const from = byId.get(current.revisionId);
    if (from === undefined) throw new CliError(`${gateway} serves a revision this API no longer lists`);
    const to =
      o.to !== undefined
        ? revisions.find((r) => r.number === o.to)
        : revisions.filter((r) => r.number < from.number).sort((a, b) => b.number - a.number)[0];
    if (to === undefined)
      throw new CliError(
        o.to !== undefined
          ? `${api.name} has no revision ${o.to}`
          : `${gateway} serves revision ${from.number}, the earliest there is: nothing to roll back to`,
      );
    return { gateway, from, to };
  });
  for (const m of moves) {
    out.progress(`${m.gateway}: revision ${m.from.number} -> ${m.to.number}`);
    await cp.deploy(api.id, m.to.id, [m.gateway]);
  }
  out.result(moves.map((m) => `Rolled ${m.gateway} back from revision ${m.from.number} to ${m.to.number}`).join('\n'), {
    apiId: api.id,
    rolledBack: moves.map((m) => ({ environment: m.gateway, from: m.from.number, to: m.to.number })),
  });
}

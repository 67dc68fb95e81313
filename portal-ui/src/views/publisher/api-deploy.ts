import { publisherApi } from '../../api/publisher.ts';
import type { Deployment, PublisherApi, Revision, Undeployed } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { actionButton, confirmButton, onSubmit } from '../../components/feedback.ts';
import { can } from '../../session.ts';
import { lifecycleButtons } from './lifecycle.ts';

/** Lifecycle (legal transitions only), revisions, deployment to environments and rollback. */
export async function deployTab(api: PublisherApi, reload: () => Promise<void>): Promise<HTMLElement> {
  const [lifecycle, { list: revisions }, { list: deployments }, { list: environments }, { list: undeployed }] = await Promise.all([
    publisherApi.lifecycle(api.id),
    publisherApi.revisions(api.id),
    publisherApi.deployments(api.id),
    publisherApi.environments(),
    publisherApi.undeployedChanges(api.id),
  ]);
  const description = h('input', {
    id: 'revision-description',
    placeholder: 'What changed (optional)',
    'data-pointer': '/description',
    'aria-label': 'Revision description',
  });
  const create = h('button', { type: 'submit', id: 'create-revision' }, 'Create revision');
  const out = h('div', {});
  const revisionForm = h('form', { class: 'inline' }, description, create, out);
  onSubmit(revisionForm, create, out, async () => {
    await publisherApi.createRevision(api.id, description.value);
    await reload();
  });
  return h(
    'div',
    { class: 'stack' },
    h(
      'section',
      { class: 'card', id: 'lifecycle' },
      h('h2', {}, 'Lifecycle'),
      h('p', {}, `Now ${lifecycle.lifecycleState}. `, can('api:publish') ? 'Move it to:' : ''),
      can('api:publish') ? lifecycleButtons(api.id, lifecycle, reload) : null,
    ),
    h(
      'section',
      { class: 'card', id: 'deployments' },
      h('h2', {}, 'Deployments'),
      environments.length === 0
        ? h('p', { class: 'muted' }, 'No gateway environments: an admin creates them.')
        : h(
            'ul',
            { class: 'plain' },
            ...environments.map((e) =>
              envRow(
                api,
                e.name,
                e.displayName,
                deployments.find((d) => d.environment === e.name),
                revisions,
                reload,
                undeployed.find((u) => u.environment === e.name),
              ),
            ),
          ),
      deployments.length > 0 && can('api:deploy') ? purgeRow(api) : null,
    ),
    h(
      'section',
      { class: 'card', id: 'revisions' },
      h('h2', {}, 'Revisions'),
      h('p', { class: 'hint' }, 'A revision freezes the API as it is now; deploy it to serve it, or deploy an older one to roll back.'),
      can('api:deploy') ? revisionForm : null,
      revisions.length === 0
        ? h('p', { class: 'empty' }, 'No revisions yet: create one, then deploy it.')
        : h(
            'ul',
            { class: 'plain' },
            ...revisions.map((r) =>
              revisionRow(
                api,
                r,
                environments.map((e) => e.name),
                deployments,
                reload,
              ),
            ),
          ),
    ),
  );
}

/** "2 changes not deployed", with the changes as `turnpike diff` prints them; nothing when the environment serves the API as it is. */
function driftNote(u: Undeployed | undefined): HTMLElement | null {
  if (u === undefined || u.changes.length === 0)
    return u === undefined ? null : h('span', { class: 'ok', 'data-drift': '0' }, ' · up to date');
  const n = u.changes.length;
  return h(
    'details',
    { class: 'drift', 'data-drift': String(n) },
    h('summary', { class: 'warning-text' }, `${n} change${n === 1 ? '' : 's'} not deployed`),
    h('pre', { class: 'headers' }, u.changes.map((c) => c.line).join('\n')),
    h('p', { class: 'hint' }, 'Create a revision and deploy it to serve them here.'),
  );
}

function envRow(
  api: PublisherApi,
  name: string,
  displayName: string,
  deployed: Deployment | undefined,
  revisions: Revision[],
  reload: () => Promise<void>,
  undeployed?: Undeployed,
): HTMLElement {
  const rev = revisions.find((r) => r.id === deployed?.revisionId);
  const out = h('span', {});
  const undeploy = confirmButton(
    'Undeploy',
    { class: 'danger small', 'data-action': 'undeploy' },
    out,
    {
      consequence: `The ${displayName} gateway stops serving ${api.name}: every call to it there answers 404 from the next snapshot on.`,
      confirm: `Undeploy from ${displayName}`,
    },
    async () => {
      await publisherApi.undeploy(api.id, name);
      await reload();
    },
  );
  return h(
    'li',
    { 'data-environment': name },
    h('strong', {}, displayName),
    ` (${name}): `,
    deployed === undefined
      ? h('span', { class: 'muted' }, 'not deployed')
      : h(
          'span',
          {},
          `serves revision ${rev?.number ?? '?'} since ${new Date(deployed.deployedAt).toLocaleString()} `,
          can('api:deploy') ? undeploy : null,
        ),
    deployed === undefined ? null : driftNote(undeployed),
    out,
  );
}

function revisionRow(
  api: PublisherApi,
  r: Revision,
  environments: string[],
  deployments: Deployment[],
  reload: () => Promise<void>,
): HTMLElement {
  const out = h('div', {});
  const live = deployments.filter((d) => d.revisionId === r.id).map((d) => d.environment);
  const buttons = environments.map((env) => {
    const current = live.includes(env);
    const older = deployments.some((d) => d.environment === env);
    return actionButton(
      current ? `Live on ${env}` : `${older ? 'Roll to' : 'Deploy to'} ${env}`,
      { class: 'secondary small', 'data-deploy': `${r.number}:${env}`, disabled: current },
      out,
      async () => {
        await publisherApi.deploy(api.id, r.id, [env]);
        await reload();
      },
    );
  });
  return h(
    'li',
    { 'data-revision': String(r.number) },
    h('strong', {}, `Revision ${r.number}`),
    ` · ${new Date(r.createdAt).toLocaleString()}${r.description === '' ? '' : ` · ${r.description}`} `,
    ...(can('api:deploy') ? buttons : []),
    out,
  );
}

/** Purge of the response cache (the `response-cache` policy) in every environment serving the API. */
function purgeRow(api: PublisherApi): HTMLElement {
  const out = h('span', { id: 'purge-result' });
  const purge = actionButton('Purge response cache', { class: 'secondary small', id: 'purge-cache' }, out, async () => {
    const { environments } = await publisherApi.purgeResponseCache(api.id);
    mount(
      out,
      h(
        'span',
        { class: 'ok' },
        ` Purged: ${environments.join(', ')} no longer serve${environments.length === 1 ? 's' : ''} what was cached before.`,
      ),
    );
  });
  return h('p', { class: 'hint' }, 'Cached answers (the response-cache policy) are purged by every deploy, or now: ', purge, out);
}

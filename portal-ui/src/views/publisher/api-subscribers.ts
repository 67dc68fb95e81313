import { publisherApi } from '../../api/publisher.ts';
import type { PublisherApi, Subscriber } from '../../api/types.ts';
import { badge } from '../../components/badges.ts';
import { h } from '../../components/dom.ts';
import { actionButton, confirmButton, empty } from '../../components/feedback.ts';

/** Who subscribes, on which tier, and blocking (all keys or production only) or unblocking them. */
export async function subscribersTab(api: PublisherApi, reload: () => Promise<void>): Promise<HTMLElement> {
  const { list } = await publisherApi.subscribers(api.id);
  if (list.length === 0) return empty('Nobody subscribes yet. Once the API is published and deployed, developers find it in the catalog.');
  return h(
    'table',
    { id: 'subscribers' },
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 'Application'), h('th', {}, 'Developer'), h('th', {}, 'Tier'), h('th', {}, 'Status'), h('th', {}, '')),
    ),
    h('tbody', {}, ...list.map((s) => row(s, reload))),
  );
}

function row(s: Subscriber, reload: () => Promise<void>): HTMLElement {
  const out = h('div', {});
  const act = (label: string, cls: string, work: () => Promise<unknown>, consequence?: string) => {
    const attrs = { class: `${cls} small`, 'data-action': label.toLowerCase().replace(/\W+/g, '-') };
    const run = async () => {
      await work();
      await reload();
    };
    return consequence === undefined
      ? actionButton(label, attrs, out, run)
      : confirmButton(label, attrs, out, { consequence, confirm: label }, run);
  };
  const decided = s.status === 'ON_HOLD' || s.status === 'REJECTED';
  const actions = decided
    ? [h('span', { class: 'muted' }, 'Decided by its approval workflow')]
    : s.status === 'UNBLOCKED'
      ? [
          act(
            'Block',
            'danger',
            () => publisherApi.block(s.id),
            `Every call of ${s.applicationName} to this API is refused from the next request on.`,
          ),
          act(
            'Block production only',
            'secondary',
            () => publisherApi.block(s.id, 'PROD_ONLY_BLOCKED'),
            `Production calls of ${s.applicationName} are refused from the next request on; sandbox calls go through.`,
          ),
        ]
      : [act('Unblock', 'secondary', () => publisherApi.unblock(s.id))];
  return h(
    'tr',
    { 'data-subscriber': s.subscriber },
    h('td', { 'data-label': 'Application' }, s.applicationName),
    h('td', { 'data-label': 'Developer' }, s.subscriber),
    h('td', { 'data-label': 'Tier' }, s.tier),
    h('td', { 'data-label': 'Status' }, badge(s.status)),
    h('td', {}, ...actions, out),
  );
}

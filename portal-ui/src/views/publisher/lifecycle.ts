import { publisherApi } from '../../api/publisher.ts';
import type { Lifecycle, LifecycleState } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { actionButton, confirmButton } from '../../components/feedback.ts';

/** What the transitions that hurt callers do to live traffic; these ask before they run. */
const CONSEQUENCE: Partial<Record<LifecycleState, string>> = {
  BLOCKED:
    'Every call to this API is refused on every gateway from the next snapshot on, for every application, until it is published again.',
  RETIRED: 'The API leaves the catalog and every gateway: calls to it answer 404 and its subscriptions end. This cannot be undone.',
  DEPRECATED: 'Applications already subscribed keep calling it; the catalog marks it deprecated and takes no new subscriptions.',
};

/** One button per transition GET …/lifecycle allows, never the others. */
export function lifecycleButtons(apiId: string, lifecycle: Lifecycle, after: () => Promise<void>): HTMLElement {
  const out = h('span', {});
  const box = h('span', { class: 'lifecycle' });
  const buttons = lifecycle.allowedTransitions.map((state) => {
    const run = async () => {
      await publisherApi.changeLifecycle(apiId, state);
      await after();
    };
    const consequence = CONSEQUENCE[state];
    const attrs = { class: consequence === undefined ? 'secondary small' : 'danger small', 'data-transition': state };
    return consequence === undefined
      ? actionButton(`→ ${state}`, attrs, out, run)
      : confirmButton(`→ ${state}`, attrs, out, { consequence, confirm: `Move to ${state}` }, run);
  });
  mount(box, ...(buttons.length === 0 ? [h('span', { class: 'muted' }, 'No further transitions')] : buttons), out);
  return box;
}

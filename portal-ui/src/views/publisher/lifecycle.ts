import { publisherApi } from '../../api/publisher.ts';
import type { Lifecycle } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { actionButton } from '../../components/feedback.ts';

/** One button per transition GET …/lifecycle allows, never the others. */
export function lifecycleButtons(apiId: string, lifecycle: Lifecycle, after: () => Promise<void>): HTMLElement {
  const out = h('span', {});
  const box = h('span', { class: 'lifecycle' });
  const buttons = lifecycle.allowedTransitions.map((state) =>
    actionButton(`→ ${state}`, { class: 'secondary small', 'data-transition': state }, out, async () => {
      await publisherApi.changeLifecycle(apiId, state);
      await after();
    }),
  );
  mount(box, ...(buttons.length === 0 ? [h('span', { class: 'muted' }, 'No further transitions')] : buttons), out);
  return box;
}

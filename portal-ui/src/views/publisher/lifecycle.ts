import { publisherApi } from '../../api/publisher.ts';
import type { Lifecycle } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { busy, errorBox } from '../../components/feedback.ts';

/** One button per transition GET …/lifecycle allows, never the others. */
export function lifecycleButtons(apiId: string, lifecycle: Lifecycle, after: () => Promise<void>): HTMLElement {
  const out = h('span', {});
  const box = h('span', { class: 'lifecycle' });
  const buttons = lifecycle.allowedTransitions.map((state) => {
    const b = h('button', { type: 'button', class: 'secondary small', 'data-transition': state }, `→ ${state}`);
    b.addEventListener('click', () =>
      void busy(b, async () => {
        try {
          await publisherApi.changeLifecycle(apiId, state);
          await after();
        } catch (err) {
          mount(out, errorBox(err));
        }
      }),
    );
    return b;
  });
  mount(box, ...(buttons.length === 0 ? [h('span', { class: 'muted' }, 'No further transitions')] : buttons), out);
  return box;
}

import { publisherApi } from '../../api/publisher.ts';
import type { UpdateApi } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { onSubmit } from '../../components/feedback.ts';

/**
 * A tab's form saved with one PATCH of the API: problems land next to their fields; on success the
 * page re-renders from what the control plane answered and the new form says it saved.
 */
export function patchOnSubmit(
  form: HTMLFormElement,
  submit: HTMLButtonElement,
  out: HTMLElement,
  apiId: string,
  body: () => UpdateApi,
  reload: () => Promise<void>,
): void {
  onSubmit(form, submit, out, async () => {
    await publisherApi.update(apiId, body());
    await reload();
    const again = form.id === '' ? null : document.querySelector<HTMLElement>(`#${CSS.escape(form.id)} [aria-live]`);
    mount(again ?? out, h('p', { class: 'ok' }, 'Saved.'));
  });
}

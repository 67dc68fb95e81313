import type { HeaderEdits, PublisherApi } from '../../api/types.ts';
import { h } from '../../components/dom.ts';
import { field } from '../../components/feedback.ts';
import { patchOnSubmit } from './patch-form.ts';
import { rowsEditor } from './rows.ts';

type Direction = keyof HeaderEdits;
const names = (s: string) =>
  s
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');

/** Headers the gateway sets or removes on the way to the backend and on the way back. */
export function headersTab(api: PublisherApi, reload: () => Promise<void>): HTMLElement {
  const sides = (['request', 'response'] as const).map((d) => direction(d, api.headerEdits?.[d]));
  const submit = h('button', { type: 'submit' }, 'Save header edits');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', id: 'headers-form' },
    ...sides.map((s) => s.element),
    h('p', { class: 'hint' }, 'Gateways serve changes once you create a revision and deploy it (Lifecycle & deploy).'),
    submit,
    out,
  );
  patchOnSubmit(
    form,
    submit,
    out,
    api.id,
    () => {
      const [request, response] = sides.map((s) => s.value());
      const none = (x: HeaderEdits[Direction] | undefined) => x === undefined || (Object.keys(x.set).length === 0 && x.remove.length === 0);
      return { headerEdits: none(request) && none(response) ? null : { request, response } };
    },
    reload,
  );
  return form;
}

function direction(d: Direction, edits: HeaderEdits[Direction] | undefined): { element: HTMLElement; value(): HeaderEdits[Direction] } {
  const p = `/headerEdits/${d}`;
  const set = rowsEditor({
    id: `${d}-set`,
    columns: [
      { key: 'name', label: 'Header', placeholder: d === 'request' ? 'X-Source' : 'Cache-Control' },
      { key: 'value', label: 'Value' },
    ],
    rows: Object.entries(edits?.set ?? {}).map(([name, value]) => ({ name, value })),
    addLabel: 'Add header',
    emptyText: 'No header set.',
  });
  const remove = h('input', {
    value: (edits?.remove ?? []).join(', '),
    placeholder: d === 'request' ? 'Cookie, X-Debug' : 'Server, X-Powered-By',
    'data-pointer': `${p}/remove`,
    'data-field': 'remove',
  });
  const element = h(
    'fieldset',
    { 'data-direction': d, 'data-pointer': `${p}/set` },
    h('legend', {}, d === 'request' ? 'Request to the backend' : 'Response to the caller'),
    h(
      'p',
      { class: 'hint' },
      d === 'request'
        ? 'Set: added to every call the gateway forwards (replacing what the caller sent).'
        : 'Set: added to every answer (replacing what the backend sent).',
    ),
    set.element,
    field('Remove', remove, 'Comma separated header names.'),
  );
  const value = () => {
    // The control plane names a bad header by its name (/headerEdits/request/set/<name>): point each row there.
    set.element
      .querySelectorAll<HTMLInputElement>('input[data-key="name"]')
      .forEach((input) => input.setAttribute('data-pointer', `${p}/set/${input.value.trim()}`));
    return {
      set: Object.fromEntries(
        set
          .read()
          .filter((r) => (r['name'] ?? '').trim() !== '')
          .map((r) => [(r['name'] ?? '').trim(), r['value'] ?? '']),
      ),
      remove: names(remove.value),
    };
  };
  return { element, value };
}

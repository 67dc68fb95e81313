import { h, mount } from './dom.ts';

/** One thing a picker offers: what goes into the field, and how a person recognises it. */
export interface PickerOption {
  value: string;
  label: string;
  detail?: string;
}

/**
 * A searchable picker for an id field: typing searches (`search` gets the text), the matches appear as
 * a list of buttons under the field, and choosing one puts its value (the id) into the field and its
 * name beside it. The field stays editable, so a known id can still be pasted.
 */
export function searchPicker(input: HTMLInputElement, search: (text: string) => Promise<PickerOption[]>): HTMLElement {
  const listId = `${input.id === '' ? 'picker' : input.id}-options`;
  const list = h('ul', { class: 'picker-options plain', id: listId, role: 'listbox' });
  const chosen = h('p', { class: 'hint picker-chosen', 'aria-live': 'polite' });
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-controls', listId);
  input.setAttribute('aria-autocomplete', 'list');
  input.autocomplete = 'off';
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const show = async () => {
    const mine = ++seq;
    const options = await search(input.value.trim());
    if (mine !== seq) return;
    input.setAttribute('aria-expanded', String(options.length > 0));
    mount(
      list,
      ...options.slice(0, 20).map((o) =>
        h(
          'li',
          { role: 'option', 'aria-selected': 'false' },
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              'data-value': o.value,
              onclick: () => {
                input.value = o.value;
                mount(list);
                input.setAttribute('aria-expanded', 'false');
                mount(chosen, h('strong', {}, o.label), o.detail === undefined ? '' : ` · ${o.detail}`, ' · ', h('code', {}, o.value));
                input.focus();
              },
            },
            h('strong', {}, o.label),
            o.detail === undefined ? null : h('span', { class: 'muted' }, ` ${o.detail}`),
            ' ',
            h('code', { class: 'muted' }, o.value),
          ),
        ),
      ),
    );
  };
  input.addEventListener('input', () => {
    mount(chosen);
    clearTimeout(timer);
    timer = setTimeout(() => void show().catch(() => mount(list)), 150);
  });
  input.addEventListener('focus', () => void show().catch(() => mount(list)));
  return h('div', { class: 'picker' }, input, list, chosen);
}

/** Case-insensitive match of `text` in any of `fields` (for pickers that search a list already loaded). */
export function matches(text: string, ...fields: string[]): boolean {
  const t = text.toLowerCase();
  return t === '' || fields.some((f) => f.toLowerCase().includes(t));
}

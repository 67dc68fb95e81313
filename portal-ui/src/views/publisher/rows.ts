import { h, mount } from '../../components/dom.ts';

export interface RowColumn {
  key: string;
  label: string;
  type?: string;
  placeholder?: string;
  /** The problem+json pointer of this cell in row `i`, so a field error lands next to it. */
  pointer?: (i: number) => string;
}

/**
 * An editable list of rows of text fields (endpoint URLs, header names and values): add, remove,
 * and read back. Rows are renumbered on every change so each cell's pointer names its index.
 */
export function rowsEditor(o: {
  id: string;
  columns: RowColumn[];
  rows: Array<Record<string, string>>;
  addLabel: string;
  emptyText: string;
}): { element: HTMLElement; read(): Array<Record<string, string>> } {
  const list = h('div', { class: 'rows', id: o.id });
  const read = () =>
    [...list.querySelectorAll<HTMLElement>('.row')].map((row) =>
      Object.fromEntries(o.columns.map((c) => [c.key, row.querySelector<HTMLInputElement>(`input[data-key="${c.key}"]`)?.value ?? ''])),
    );
  const render = (rows: Array<Record<string, string>>, focus?: number) => {
    mount(
      list,
      ...(rows.length === 0
        ? [h('p', { class: 'muted' }, o.emptyText)]
        : rows.map((r, i) =>
            h(
              'div',
              { class: 'row' },
              ...o.columns.map((c) =>
                h(
                  'label',
                  { class: 'cell' },
                  h('span', { class: 'hint' }, c.label),
                  h('input', {
                    type: c.type ?? 'text',
                    value: r[c.key] ?? '',
                    'data-key': c.key,
                    placeholder: c.placeholder ?? '',
                    ...(c.pointer === undefined ? {} : { 'data-pointer': c.pointer(i) }),
                  }),
                ),
              ),
              h(
                'button',
                {
                  type: 'button',
                  class: 'danger small',
                  'aria-label': `Remove row ${i + 1}`,
                  onclick: () =>
                    render(
                      read().filter((_r, j) => j !== i),
                      Math.max(0, i - 1),
                    ),
                },
                'Remove',
              ),
            ),
          )),
    );
    if (focus !== undefined) (list.querySelectorAll<HTMLElement>('.row')[focus]?.querySelector('input') ?? add).focus();
  };
  const add = h('button', { type: 'button', class: 'secondary small', onclick: () => render([...read(), {}], read().length) }, o.addLabel);
  render(o.rows);
  return { element: h('div', {}, list, add), read };
}

import { adminApi } from '../../api/admin.ts';
import type { AuditEntry } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { empty, errorBox } from '../../components/feedback.ts';

const PAGE = 50;

/** The audit log, newest first, filtered by action, entity, actor and dates; before/after as JSON text. */
export async function auditTab(): Promise<HTMLElement> {
  const action = h('input', { placeholder: 'Action, e.g. subscription.status', 'aria-label': 'Action', id: 'audit-action' });
  const entityType = h('input', { placeholder: 'Entity type, e.g. api', 'aria-label': 'Entity type' });
  const entityId = h('input', { placeholder: 'Entity id', 'aria-label': 'Entity id' });
  const from = h('input', { type: 'date', 'aria-label': 'From' });
  const to = h('input', { type: 'date', 'aria-label': 'To' });
  const apply = h('button', { type: 'submit' }, 'Filter');
  const out = h('div', { id: 'audit', 'aria-live': 'polite' });
  let offset = 0;
  const load = async () => {
    try {
      const day = (v: string, end: boolean) => (v === '' ? undefined : new Date(`${v}T00:00:00`).getTime() + (end ? 86_400_000 : 0));
      const page = await adminApi.audit({
        action: action.value.trim() || undefined,
        entityType: entityType.value.trim() || undefined,
        entityId: entityId.value.trim() || undefined,
        from: day(from.value, false),
        to: day(to.value, true),
        limit: PAGE,
        offset,
      });
      const prev = h(
        'button',
        { type: 'button', class: 'secondary', disabled: offset === 0, onclick: () => ((offset = Math.max(0, offset - PAGE)), void load()) },
        'Newer',
      );
      const next = h(
        'button',
        { type: 'button', class: 'secondary', disabled: page.total <= offset + PAGE, onclick: () => ((offset += PAGE), void load()) },
        'Older',
      );
      mount(
        out,
        page.list.length === 0
          ? empty('No entries match these filters.')
          : h(
              'table',
              {},
              h(
                'thead',
                {},
                h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Who'), h('th', {}, 'Action'), h('th', {}, 'Entity'), h('th', {}, 'Change')),
              ),
              h('tbody', {}, ...page.list.map(row)),
            ),
        h('div', { class: 'toolbar' }, prev, next),
      );
    } catch (err) {
      mount(out, errorBox(err));
    }
  };
  const form = h('form', { class: 'inline' }, action, entityType, entityId, from, to, apply);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    offset = 0;
    void load();
  });
  await load();
  return h('div', {}, form, out);
}

function row(e: AuditEntry): HTMLElement {
  const json = (v: unknown) => (v === null || v === undefined ? '—' : JSON.stringify(v, null, 1));
  return h(
    'tr',
    {},
    h('td', { 'data-label': 'When' }, new Date(e.createdAt).toLocaleString()),
    h('td', { 'data-label': 'Who' }, e.actorEmail ?? 'system'),
    h('td', { 'data-label': 'Action' }, h('code', {}, e.action)),
    h(
      'td',
      { 'data-label': 'Entity', 'data-entity': e.entityId },
      `${e.entityType} `,
      e.entityName === null ? null : h('strong', { class: 'entity-name' }, e.entityName),
      e.entityName === null ? null : ' ',
      h('code', {}, e.entityId),
    ),
    h(
      'td',
      { 'data-label': 'Change' },
      h(
        'details',
        {},
        h('summary', {}, 'before / after'),
        h('pre', { class: 'headers' }, `before: ${json(e.before)}\nafter: ${json(e.after)}`),
      ),
    ),
  );
}

import { adminApi } from '../../api/admin.ts';
import { devportalApi } from '../../api/devportal.ts';
import type { BlockingCondition, User } from '../../api/types.ts';
import { matches, searchPicker } from '../../components/picker.ts';
import { h, mount } from '../../components/dom.ts';
import { confirmButton, empty, errorBox, field, onSubmit } from '../../components/feedback.ts';
import { render as reloadAdmin } from '../../router.ts';

const TYPES: Array<[BlockingCondition['conditionType'], string, string]> = [
  ['API', 'API', 'Type a name, or a context such as /petstore'],
  ['APPLICATION', 'Application', 'Type a name, pick the application'],
  ['USER', 'User', 'Type a name or email, pick the user'],
  ['IP', 'IP address', '203.0.113.7'],
  ['IP_RANGE', 'IP range', '203.0.113.0/24'],
];

/** Blocking conditions: they reach every gateway environment and bite on the next request. */
export async function blockingTab(): Promise<HTMLElement> {
  const { list } = await adminApi.conditions();
  return h(
    'div',
    { class: 'stack' },
    list.length === 0
      ? empty('No blocking conditions. Block an API, an application, a user or IP addresses below; it applies on the next call.')
      : h(
          'table',
          { id: 'conditions' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Type'), h('th', {}, 'Value'), h('th', {}, 'Enabled'), h('th', {}, ''))),
          h('tbody', {}, ...list.map(row)),
        ),
    createForm(),
  );
}

function row(c: BlockingCondition): HTMLElement {
  const out = h('div', {});
  const enabled = h('input', { type: 'checkbox', 'aria-label': `Enabled: ${c.conditionValue}`, checked: c.enabled });
  enabled.addEventListener(
    'change',
    () => void adminApi.toggleCondition(c.id, enabled.checked).catch((err: unknown) => mount(out, errorBox(err))),
  );
  const remove = confirmButton(
    'Delete',
    { class: 'danger small', 'data-action': 'delete-condition' },
    out,
    {
      consequence: `Calls blocked by this condition (${c.conditionType} ${c.conditionValue}) go through again from the next request on.`,
      confirm: 'Delete the condition',
    },
    async () => {
      await adminApi.deleteCondition(c.id);
      await reloadAdmin();
    },
  );
  return h(
    'tr',
    {},
    h('td', { 'data-label': 'Type' }, c.conditionType, c.inverted ? ' (all but)' : ''),
    h('td', { 'data-label': 'Value' }, h('code', {}, c.conditionValue)),
    h('td', { 'data-label': 'Enabled' }, enabled),
    h('td', {}, remove, out),
  );
}

function createForm(): HTMLElement {
  const type = h('select', { 'data-pointer': '/conditionType' }, ...TYPES.map(([t, label]) => h('option', { value: t }, label)));
  const value = h('input', { id: 'condition-value', required: true, placeholder: TYPES[0]?.[2] ?? '', 'data-pointer': '/conditionValue' });
  type.addEventListener('change', () => (value.placeholder = TYPES.find(([t]) => t === type.value)?.[2] ?? ''));
  // APIs, applications and users are picked by name (the condition stores the context or the id).
  let users: User[] | null = null;
  const picker = searchPicker(value, async (text) => {
    if (type.value === 'APPLICATION')
      return (await adminApi.applications(text)).list.map((a) => ({ value: a.id, label: a.name, detail: `of ${a.owner}` }));
    if (type.value === 'USER') {
      users ??= (await adminApi.users()).list;
      return users
        .filter((u) => matches(text, u.displayName, u.email, u.id))
        .map((u) => ({ value: u.id, label: u.displayName, detail: u.email }));
    }
    if (type.value === 'API')
      return (await devportalApi.catalog(text)).list.map((a) => ({ value: a.context, label: `${a.name} ${a.version}`, detail: a.context }));
    return [];
  });
  const inverted = h('input', { type: 'checkbox', 'data-pointer': '/inverted' });
  const submit = h('button', { type: 'submit' }, 'Add condition');
  const out = h('div', {});
  const form = h(
    'form',
    { class: 'card', id: 'condition-form' },
    h('h2', {}, 'New blocking condition'),
    h(
      'div',
      { class: 'columns' },
      field('Type', type),
      h('div', { class: 'field' }, h('label', { for: 'condition-value' }, 'Value'), picker),
    ),
    h('label', { class: 'check' }, inverted, ' Invert (block every address except these; IP types only)'),
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    await adminApi.createCondition({
      conditionType: type.value as BlockingCondition['conditionType'],
      conditionValue: value.value,
      inverted: inverted.checked,
    });
    await reloadAdmin();
  });
  return form;
}

import { adminApi } from '../../api/admin.ts';
import type { BlockingCondition } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { confirmButton, empty, errorBox, field, onSubmit } from '../../components/feedback.ts';
import { render as reloadAdmin } from '../../router.ts';

const TYPES: Array<[BlockingCondition['conditionType'], string, string]> = [
  ['API', 'API context', '/petstore'],
  ['APPLICATION', 'Application id', 'app_…'],
  ['USER', 'User id', 'usr_…'],
  ['IP', 'IP address', '203.0.113.7'],
  ['IP_RANGE', 'IP range', '203.0.113.0/24'],
];

/** Blocking conditions: they reach every gateway environment and bite on the next request. */
export async function blockingTab(): Promise<HTMLElement> {
  const { list } = await adminApi.conditions();
  return h(
    'div',
    { class: 'stack' },
    list.length === 0 ? empty('No blocking conditions. Block an API, an application, a user or IP addresses below; it applies on the next call.') : h('table', { id: 'conditions' }, h('thead', {}, h('tr', {}, h('th', {}, 'Type'), h('th', {}, 'Value'), h('th', {}, 'Enabled'), h('th', {}, ''))), h('tbody', {}, ...list.map(row))),
    createForm(),
  );
}

function row(c: BlockingCondition): HTMLElement {
  const out = h('div', {});
  const enabled = h('input', { type: 'checkbox', 'aria-label': `Enabled: ${c.conditionValue}`, checked: c.enabled });
  enabled.addEventListener('change', () => void adminApi.toggleCondition(c.id, enabled.checked).catch((err: unknown) => mount(out, errorBox(err))));
  const remove = confirmButton('Delete', { class: 'danger small', 'data-action': 'delete-condition' }, out, { consequence: `Calls blocked by this condition (${c.conditionType} ${c.conditionValue}) go through again from the next request on.`, confirm: 'Delete the condition' }, async () => {
    await adminApi.deleteCondition(c.id);
    await reloadAdmin();
  });
  return h('tr', {}, h('td', { 'data-label': 'Type' }, c.conditionType, c.inverted ? ' (all but)' : ''), h('td', { 'data-label': 'Value' }, h('code', {}, c.conditionValue)), h('td', { 'data-label': 'Enabled' }, enabled), h('td', {}, remove, out));
}

function createForm(): HTMLElement {
  const type = h('select', { 'data-pointer': '/conditionType' }, ...TYPES.map(([t, label]) => h('option', { value: t }, label)));
  const value = h('input', { required: true, placeholder: TYPES[0]?.[2] ?? '', 'data-pointer': '/conditionValue' });
  type.addEventListener('change', () => (value.placeholder = TYPES.find(([t]) => t === type.value)?.[2] ?? ''));
  const inverted = h('input', { type: 'checkbox', 'data-pointer': '/inverted' });
  const submit = h('button', { type: 'submit' }, 'Add condition');
  const out = h('div', {});
  const form = h('form', { class: 'card', id: 'condition-form' }, h('h2', {}, 'New blocking condition'), h('div', { class: 'columns' }, field('Type', type), field('Value', value)), h('label', { class: 'check' }, inverted, ' Invert (block every address except these; IP types only)'), submit, out);
  onSubmit(form, submit, out, async () => {
    await adminApi.createCondition({ conditionType: type.value as BlockingCondition['conditionType'], conditionValue: value.value, inverted: inverted.checked });
    await reloadAdmin();
  });
  return form;
}

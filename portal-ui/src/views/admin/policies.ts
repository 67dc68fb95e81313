import { adminApi } from '../../api/admin.ts';
import type { Policy, PolicyInput } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { busy, errorBox, field, onSubmit } from '../../components/feedback.ts';
import { render as reloadAdmin } from '../../router.ts';

const KINDS: Array<[Policy['kind'], string]> = [
  ['subscription', 'Subscription tier'],
  ['application', 'Application tier'],
  ['advanced', 'Advanced (API / resource)'],
  ['custom', 'Custom (key template)'],
];
const UNITS = ['sec', 'min', 'hour', 'day', 'month'] as const;

/** Throttling policies by kind, a form to add one, delete when unused. */
export async function policiesTab(): Promise<HTMLElement> {
  const { list } = await adminApi.policies();
  return h(
    'div',
    { class: 'stack' },
    h(
      'table',
      { id: 'policies' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Kind'), h('th', {}, 'Limit'), h('th', {}, 'Burst'), h('th', {}, ''))),
      h('tbody', {}, ...list.map(row)),
    ),
    createForm(),
  );
}

function row(p: Policy): HTMLElement {
  const out = h('div', {});
  const remove = h('button', { type: 'button', class: 'danger small' }, 'Delete');
  remove.addEventListener('click', () =>
    void busy(remove, async () => {
      try {
        await adminApi.deletePolicy(p.id);
        await reloadAdmin();
      } catch (err) {
        mount(out, errorBox(err));
      }
    }),
  );
  const limit = p.limit === null ? 'Unlimited' : `${p.limit} ${p.quotaType === 'bandwidth' ? 'bytes' : 'requests'} / ${p.unitTime} ${p.timeUnit}`;
  return h('tr', { 'data-policy': p.name }, h('td', { 'data-label': 'Name' }, h('strong', {}, p.displayName), h('div', { class: 'muted' }, p.name)), h('td', { 'data-label': 'Kind' }, p.kind), h('td', { 'data-label': 'Limit' }, limit, p.keyTemplate === null ? '' : ` · key ${p.keyTemplate}`), h('td', { 'data-label': 'Burst' }, p.burstLimit === null ? '—' : `${p.burstLimit} / ${p.burstTimeUnit ?? ''}`), h('td', {}, remove, out));
}

function createForm(): HTMLElement {
  const kind = h('select', { 'data-pointer': '/kind' }, ...KINDS.map(([k, label]) => h('option', { value: k }, label)));
  const name = h('input', { required: true, placeholder: 'Gold', 'data-pointer': '/name' });
  const displayName = h('input', { placeholder: 'Shown to developers', 'data-pointer': '/displayName' });
  const limit = h('input', { type: 'number', min: '1', placeholder: 'blank: unlimited', 'data-pointer': '/limit' });
  const unitTime = h('input', { type: 'number', min: '1', value: '1', 'data-pointer': '/unitTime' });
  const timeUnit = h('select', { 'data-pointer': '/timeUnit' }, ...UNITS.map((u) => h('option', { value: u, ...(u === 'min' ? { selected: true } : {}) }, u)));
  const keyTemplate = h('input', { placeholder: '$userId:$apiContext (custom only)', 'data-pointer': '/keyTemplate' });
  const description = h('input', { 'data-pointer': '/description' });
  const submit = h('button', { type: 'submit' }, 'Add policy');
  const out = h('div', {});
  const form = h('form', { class: 'card', id: 'policy-form' }, h('h2', {}, 'New throttling policy'), h('div', { class: 'columns' }, field('Kind', kind), field('Name', name), field('Display name', displayName)), h('div', { class: 'columns' }, field('Limit', limit), field('Per', unitTime), field('Unit', timeUnit)), field('Key template', keyTemplate), field('Description', description), submit, out);
  onSubmit(form, submit, out, async () => {
    const body: PolicyInput = {
      kind: kind.value as Policy['kind'],
      name: name.value.trim(),
      ...(displayName.value.trim() === '' ? {} : { displayName: displayName.value.trim() }),
      description: description.value,
      limit: limit.value === '' ? null : Number(limit.value),
      unitTime: Number(unitTime.value),
      timeUnit: timeUnit.value as (typeof UNITS)[number],
      keyTemplate: keyTemplate.value.trim() === '' ? null : keyTemplate.value.trim(),
    };
    await adminApi.createPolicy(body);
    await reloadAdmin();
  });
  return form;
}

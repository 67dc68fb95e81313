import { adminApi } from '../../api/admin.ts';
import type { Policy, PolicyInput } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { actionButton, empty, field, onSubmit } from '../../components/feedback.ts';
import { render as reloadAdmin } from '../../router.ts';
import { conditionalGroupsEditor, limitText, TIME_UNITS } from './policy-groups.ts';

type Kind = PolicyInput['kind'];
type TimeUnit = NonNullable<PolicyInput['timeUnit']>;
type QuotaType = NonNullable<PolicyInput['quotaType']>;

const KINDS: Array<[Kind, string, string]> = [
  ['subscription', 'Subscription tier', 'A tier developers subscribe on: per application and API.'],
  ['application', 'Application tier', 'Shared by all APIs one application calls.'],
  [
    'advanced',
    'Advanced (API / resource)',
    'Publishers attach it to an API or a resource; conditional groups give matching calls their own limit.',
  ],
  ['custom', 'Custom (key template)', 'Applies to every call; calls with the same key share the count.'],
];
const QUOTA_TYPES: Array<[QuotaType, string]> = [
  ['requestCount', 'requests'],
  ['bandwidth', 'bytes'],
];

/** Throttling policies of every kind: list, edit, delete when unused, and the form for a new one. */
export async function policiesTab(): Promise<HTMLElement> {
  const { list } = await adminApi.policies();
  const formSlot = h('div', {});
  const edit = (p: Policy) => {
    mount(
      formSlot,
      policyForm(p, () => mount(formSlot, policyForm(null))),
    );
    formSlot.scrollIntoView({ block: 'start' });
    formSlot.querySelector<HTMLElement>('[data-pointer="/displayName"]')?.focus();
  };
  mount(formSlot, policyForm(null));
  return h(
    'div',
    { class: 'stack' },
    list.length === 0
      ? empty('No throttling policies yet. Add a subscription tier below so publishers can offer it.')
      : h(
          'table',
          { id: 'policies' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'Name'),
              h('th', {}, 'Kind'),
              h('th', {}, 'Limit'),
              h('th', {}, 'Burst'),
              h('th', {}, 'When the counter is unreachable'),
              h('th', {}, ''),
            ),
          ),
          h('tbody', {}, ...list.map((p) => row(p, edit))),
        ),
    formSlot,
  );
}

function row(p: Policy, edit: (p: Policy) => void): HTMLElement {
  const out = h('div', {});
  const remove = actionButton('Delete', { class: 'danger small', 'data-action': 'delete-policy' }, out, async () => {
    await adminApi.deletePolicy(p.id);
    await reloadAdmin();
  });
  const change = h('button', { type: 'button', class: 'secondary small', 'data-action': 'edit-policy', onclick: () => edit(p) }, 'Edit');
  const extra = [
    p.keyTemplate === null ? null : h('div', { class: 'muted' }, 'key ', h('code', {}, p.keyTemplate)),
    p.conditionalGroups.length === 0
      ? null
      : h('div', { class: 'muted' }, `${p.conditionalGroups.length} conditional group${p.conditionalGroups.length === 1 ? '' : 's'}`),
    p.kind === 'subscription' && !p.stopOnQuotaReach ? h('div', { class: 'muted' }, 'Allows overage') : null,
  ];
  return h(
    'tr',
    { 'data-policy': p.name },
    h('td', { 'data-label': 'Name' }, h('strong', {}, p.displayName), h('div', { class: 'muted' }, p.name)),
    h('td', { 'data-label': 'Kind' }, p.kind),
    h('td', { 'data-label': 'Limit' }, limitText(p), ...extra),
    h('td', { 'data-label': 'Burst' }, p.burstLimit === null ? '—' : `${p.burstLimit} / ${p.burstTimeUnit ?? ''}`),
    h(
      'td',
      { 'data-label': 'When the counter is unreachable' },
      p.failMode === 'closed' ? 'Refuse calls (fail closed)' : 'Let calls through (fail open)',
    ),
    h('td', {}, h('div', { class: 'actions' }, change, remove), out),
  );
}

const options = <T extends string>(values: Array<[T, string]>, selected: string) =>
  values.map(([v, label]) => h('option', { value: v, selected: v === selected }, label));
const number = (v: string) => (v.trim() === '' ? null : Number(v));

/** The form for a new policy, or for changing one (its kind and name stay). */
function policyForm(existing: Policy | null, cancel?: () => void): HTMLElement {
  const p = existing;
  const kind = h(
    'select',
    { 'data-pointer': '/kind', ...(p === null ? {} : { disabled: true }) },
    ...options(
      KINDS.map(([k, label]): [Kind, string] => [k, label]),
      p?.kind ?? 'subscription',
    ),
  );
  const kindHint = h('p', { class: 'hint' });
  const name = h('input', {
    required: true,
    placeholder: 'Gold',
    'data-pointer': '/name',
    value: p?.name ?? '',
    ...(p === null ? {} : { readonly: true }),
  });
  const displayName = h('input', { placeholder: 'Shown to developers', 'data-pointer': '/displayName', value: p?.displayName ?? '' });
  const description = h('input', { 'data-pointer': '/description', value: p?.description ?? '' });
  const quotaType = h('select', { 'data-pointer': '/quotaType' }, ...options(QUOTA_TYPES, p?.quotaType ?? 'requestCount'));
  const limit = h('input', {
    type: 'number',
    min: '1',
    placeholder: 'blank: unlimited',
    'data-pointer': '/limit',
    value: p?.limit === null || p === null ? '' : String(p.limit),
  });
  const unitTime = h('input', { type: 'number', min: '1', 'data-pointer': '/unitTime', value: String(p?.unitTime ?? 1) });
  const timeUnit = h(
    'select',
    { 'data-pointer': '/timeUnit' },
    ...options(
      TIME_UNITS.map((u): [TimeUnit, string] => [u, u]),
      p?.timeUnit ?? 'min',
    ),
  );
  const burstLimit = h('input', {
    type: 'number',
    min: '1',
    placeholder: 'none',
    'data-pointer': '/burstLimit',
    value: p?.burstLimit === null || p === null ? '' : String(p.burstLimit),
  });
  const burstTimeUnit = h(
    'select',
    { 'data-pointer': '/burstTimeUnit' },
    ...options<string>(
      [
        ['', 'no burst control'],
        ['sec', 'per second'],
        ['min', 'per minute'],
      ],
      p?.burstTimeUnit ?? '',
    ),
  );
  const stopOnQuotaReach = h('input', {
    type: 'checkbox',
    'data-pointer': '/stopOnQuotaReach',
    ...(p?.stopOnQuotaReach === false ? {} : { checked: true }),
  });
  const failMode = h(
    'select',
    { 'data-pointer': '/failMode' },
    ...options<string>(
      [
        ['open', 'Let calls through (fail open)'],
        ['closed', 'Refuse calls (fail closed)'],
      ],
      p?.failMode ?? 'open',
    ),
  );
  const keyTemplate = h('input', { placeholder: '$userId:$apiContext', 'data-pointer': '/keyTemplate', value: p?.keyTemplate ?? '' });
  const groups = conditionalGroupsEditor(p?.conditionalGroups ?? []);
  const keyField = field(
    'Key template',
    keyTemplate,
    'Calls with the same key share one count. Variables: $userId $appId $apiContext $apiVersion $clientIp',
  );
  const overage = h(
    'label',
    { class: 'check' },
    stopOnQuotaReach,
    ' Stop calls when the quota is reached (off: allow overage, e.g. billed)',
  );
  const show = () => {
    const k = kind.value as Kind;
    kindHint.textContent = KINDS.find(([v]) => v === k)?.[2] ?? '';
    keyField.hidden = k !== 'custom';
    groups.element.hidden = k !== 'advanced';
    overage.hidden = k !== 'subscription';
  };
  kind.addEventListener('change', show);
  show();

  const submit = h('button', { type: 'submit' }, p === null ? 'Add policy' : 'Save changes');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', id: 'policy-form', 'data-editing': p?.name ?? '' },
    h('h2', {}, p === null ? 'New throttling policy' : `Edit ${p.displayName}`),
    h('div', { class: 'columns' }, field('Kind', kind), field('Name', name), field('Display name', displayName)),
    kindHint,
    field('Description', description),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Limit'),
      h('div', { class: 'columns' }, field('Count', limit), field('Of', quotaType), field('Per', unitTime), field('Unit', timeUnit)),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Burst control (optional)'),
      h('div', { class: 'columns' }, field('At most', burstLimit), field('Window', burstTimeUnit)),
      h('p', { class: 'hint' }, 'Smooths spikes inside the main window, e.g. 1000 per hour but at most 50 per second.'),
    ),
    overage,
    field(
      'When the counter cannot be reached',
      failMode,
      'Fail open keeps the API available; fail closed never lets more than the limit through.',
    ),
    keyField,
    groups.element,
    h(
      'div',
      { class: 'actions' },
      submit,
      cancel === undefined ? null : h('button', { type: 'button', class: 'secondary', onclick: cancel }, 'Cancel'),
    ),
    out,
  );
  onSubmit(form, submit, out, async () => {
    const k = kind.value as Kind;
    const body: PolicyInput = {
      kind: k,
      name: name.value.trim(),
      ...(displayName.value.trim() === '' ? {} : { displayName: displayName.value.trim() }),
      description: description.value,
      quotaType: quotaType.value as QuotaType,
      limit: number(limit.value),
      unitTime: Number(unitTime.value),
      timeUnit: timeUnit.value as TimeUnit,
      burstLimit: number(burstLimit.value),
      burstTimeUnit: burstTimeUnit.value === '' ? null : (burstTimeUnit.value as 'sec' | 'min'),
      stopOnQuotaReach: k !== 'subscription' || stopOnQuotaReach.checked,
      failMode: failMode.value as 'open' | 'closed',
      keyTemplate: k === 'custom' ? keyTemplate.value.trim() || null : null,
      conditionalGroups: k === 'advanced' ? groups.value() : [],
    };
    if (p === null) await adminApi.createPolicy(body);
    else await adminApi.updatePolicy(p.id, body);
    await reloadAdmin();
  });
  return form;
}

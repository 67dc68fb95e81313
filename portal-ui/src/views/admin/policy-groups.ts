import type { ConditionInput, ConditionalGroupInput, Policy } from '../../api/types.ts';
import { h } from '../../components/dom.ts';

type ConditionType = ConditionInput['type'];
type Group = Policy['conditionalGroups'][number];
type Condition = Group['conditions'][number];
type Limit = Group['limit'];

/** What a condition matches on: its label, the member holding the name (or address) and a hint. */
const TYPES: Record<ConditionType, { label: string; key: 'cidr' | 'name' | 'claim'; placeholder: string }> = {
  ip: { label: 'IP address or CIDR', key: 'cidr', placeholder: '203.0.113.0/24' },
  header: { label: 'Header', key: 'name', placeholder: 'x-partner' },
  query: { label: 'Query parameter', key: 'name', placeholder: 'plan' },
  jwtClaim: { label: 'JWT claim', key: 'claim', placeholder: 'tenant' },
};
export const TIME_UNITS: Array<Limit['timeUnit']> = ['sec', 'min', 'hour', 'day', 'month'];

/** "100 requests / 1 min", "5000000 bytes / 1 day" or "Unlimited". */
export function limitText(l: { limit: number | null; quotaType: string; unitTime: number; timeUnit: string }): string {
  return l.limit === null ? 'Unlimited' : `${l.limit} ${l.quotaType === 'bandwidth' ? 'bytes' : 'requests'} / ${l.unitTime} ${l.timeUnit}`;
}

const option = (value: string, label: string, selected: boolean) => h('option', { value, selected }, label);
const input = (el: Element, key: string) =>
  el.querySelector<HTMLInputElement | HTMLSelectElement>(`:scope [data-key="${key}"]`) as HTMLInputElement;

/**
 * Conditional groups of an advanced policy: each a list of conditions that must all hold (each
 * invertible) and the limit that applies to the calls it matches. Every input carries the JSON
 * pointer of the member it fills (/conditionalGroups/0/conditions/1/value), renumbered whenever a
 * group or condition is added or removed, so the control plane's errors land next to it.
 */
export function conditionalGroupsEditor(initial: Group[]): { element: HTMLElement; value(): ConditionalGroupInput[] } {
  const list = h('div', { class: 'stack' });
  const renumber = () => {
    list.querySelectorAll<HTMLElement>(':scope > fieldset.group').forEach((g, i) => {
      const at = `/conditionalGroups/${i}`;
      (g.querySelector('legend') as HTMLElement).textContent = `Group ${i + 1}`;
      input(g, 'description').dataset['pointer'] = `${at}/description`;
      (g.querySelector('[data-key="conditions"]') as HTMLElement).dataset['pointer'] = `${at}/conditions`;
      for (const k of ['limit', 'quotaType', 'unitTime', 'timeUnit']) input(g, k).dataset['pointer'] = `${at}/limit/${k}`;
      g.querySelectorAll<HTMLElement>('.condition').forEach((c, j) => {
        const type = input(c, 'type').value as ConditionType;
        const cAt = `${at}/conditions/${j}`;
        input(c, 'type').dataset['pointer'] = `${cAt}/type`;
        input(c, 'key').dataset['pointer'] = `${cAt}/${TYPES[type].key}`;
        input(c, 'value').dataset['pointer'] = `${cAt}/value`;
        input(c, 'invert').dataset['pointer'] = `${cAt}/invert`;
        for (const k of ['type', 'key', 'value', 'invert'])
          input(c, k).setAttribute('aria-label', `Group ${i + 1}, condition ${j + 1}: ${k === 'key' ? TYPES[type].label : k}`);
      });
    });
  };

  const condition = (c: Condition | null): HTMLElement => {
    const type = h(
      'select',
      { 'data-key': 'type' },
      ...Object.entries(TYPES).map(([t, d]) => option(t, d.label, t === (c?.type ?? 'header'))),
    );
    const key = h('input', {
      'data-key': 'key',
      value: c === null ? '' : c.type === 'ip' ? c.cidr : c.type === 'jwtClaim' ? c.claim : c.name,
    });
    const value = h('input', { 'data-key': 'value', placeholder: 'equals', value: c === null || c.type === 'ip' ? '' : c.value });
    const invert = h('input', { type: 'checkbox', 'data-key': 'invert', checked: c?.invert === true });
    const sync = () => {
      key.placeholder = TYPES[type.value as ConditionType].placeholder;
      value.hidden = type.value === 'ip';
    };
    sync();
    type.addEventListener('change', () => (sync(), renumber()));
    const row = h(
      'div',
      { class: 'condition' },
      type,
      key,
      value,
      h('label', { class: 'check' }, invert, ' Invert (all but)'),
      h(
        'button',
        { type: 'button', class: 'danger small', 'data-action': 'remove-condition', onclick: () => (row.remove(), renumber()) },
        'Remove',
      ),
    );
    return row;
  };

  const group = (g: Group | null): HTMLElement => {
    const conditions = h('div', { class: 'conditions', 'data-key': 'conditions' }, ...(g?.conditions ?? [null]).map(condition));
    const limit = g?.limit;
    const el = h(
      'fieldset',
      { class: 'group' },
      h('legend', {}),
      h('input', {
        'data-key': 'description',
        placeholder: 'What these calls are, e.g. partner traffic',
        'aria-label': 'Group description',
        value: g?.description ?? '',
      }),
      h('p', { class: 'hint' }, 'Calls matching every condition below get this group’s limit instead of the policy’s.'),
      conditions,
      h(
        'button',
        {
          type: 'button',
          class: 'secondary small',
          'data-action': 'add-condition',
          onclick: () => (conditions.append(condition(null)), renumber()),
        },
        'Add condition',
      ),
      h(
        'div',
        { class: 'columns' },
        h('input', {
          type: 'number',
          'data-key': 'limit',
          'aria-label': 'Group limit',
          placeholder: 'limit',
          value: limit === undefined ? '' : String(limit.limit),
        }),
        h(
          'select',
          { 'data-key': 'quotaType', 'aria-label': 'Group limit of' },
          option('requestCount', 'requests', limit?.quotaType !== 'bandwidth'),
          option('bandwidth', 'bytes', limit?.quotaType === 'bandwidth'),
        ),
        h('span', {}, 'per'),
        h('input', { type: 'number', 'data-key': 'unitTime', 'aria-label': 'Group limit per', value: String(limit?.unitTime ?? 1) }),
        h(
          'select',
          { 'data-key': 'timeUnit', 'aria-label': 'Group limit unit' },
          ...TIME_UNITS.map((u) => option(u, u, u === (limit?.timeUnit ?? 'min'))),
        ),
      ),
      h(
        'button',
        { type: 'button', class: 'danger small', 'data-action': 'remove-group', onclick: () => (el.remove(), renumber()) },
        'Remove group',
      ),
    );
    return el;
  };

  list.append(...initial.map(group));
  const add = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      'data-action': 'add-group',
      onclick: () => (
        list.append(group(null)),
        renumber(),
        list.querySelector<HTMLElement>(':scope > fieldset.group:last-of-type [data-key="key"]')?.focus()
      ),
    },
    'Add conditional group',
  );
  const element = h(
    'fieldset',
    { id: 'conditional-groups', 'data-pointer': '/conditionalGroups' },
    h('legend', {}, 'Conditional groups'),
    h(
      'p',
      { class: 'hint' },
      'Without groups every call counts against the policy’s limit. A group gives calls from an IP range, or with a header, a query parameter or a JWT claim, their own limit.',
    ),
    list,
    add,
  );
  renumber();

  const value = (): ConditionalGroupInput[] =>
    [...list.querySelectorAll<HTMLElement>(':scope > fieldset.group')].map((g) => ({
      description: input(g, 'description').value,
      conditions: [...g.querySelectorAll<HTMLElement>('.condition')].map((c): ConditionInput => {
        const type = input(c, 'type').value as ConditionType;
        const key = input(c, 'key').value.trim();
        const invert = input(c, 'invert').checked;
        const value = input(c, 'value').value;
        if (type === 'ip') return { type, cidr: key, invert };
        if (type === 'jwtClaim') return { type, claim: key, value, invert };
        return { type, name: key, value, invert };
      }),
      limit: {
        limit: Number(input(g, 'limit').value),
        quotaType: input(g, 'quotaType').value as Limit['quotaType'],
        unitTime: Number(input(g, 'unitTime').value),
        timeUnit: input(g, 'timeUnit').value as Limit['timeUnit'],
      },
    }));
  return { element, value };
}

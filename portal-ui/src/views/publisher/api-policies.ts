import { publisherApi } from '../../api/publisher.ts';
import type { PolicyCatalogEntry, PublisherApi, UpdateApi } from '../../api/types.ts';
import { h } from '../../components/dom.ts';
import { field } from '../../components/feedback.ts';
import { schemaField, type JsonSchema, type SchemaField } from '../../components/schema-form.ts';
import { patchOnSubmit } from './patch-form.ts';

type AuthType = NonNullable<NonNullable<UpdateApi['resources']>[number]['authType']>;

interface Attached {
  name: string;
  config: Record<string, unknown>;
}

/**
 * The policies of the API and of each operation, in the order the gateway runs them (the API's
 * first, then the operation's): add, remove, move up and down; each policy's form is generated
 * from the JSON Schema of its config in the policy catalog (GET /policies), so a new policy needs
 * nothing here.
 */
export async function policiesTab(api: PublisherApi, reload: () => Promise<void>): Promise<HTMLElement> {
  const { list: catalog } = await publisherApi.policyCatalog();
  const byName = new Map(catalog.map((p) => [p.name, p]));
  // One ordered list per target: the API (`api`) and each operation (its index), shown one at a time.
  const targets: Array<{ key: string; label: string; pointer: string; policies: Attached[] }> = [
    { key: 'api', label: 'The whole API (every operation)', pointer: '/policies', policies: api.policies },
    ...api.resources.map((r, i) => ({
      key: String(i),
      label: `${r.method} ${r.path}`,
      pointer: `/resources/${i}/policies`,
      policies: r.policies,
    })),
  ];
  const lists = new Map(targets.map((t) => [t.key, policyList(t.pointer, t.policies, byName)]));
  const target = h(
    'select',
    { id: 'policy-target' },
    ...targets.map((t) => h('option', { value: t.key }, `${t.label}${t.policies.length > 0 ? ` (${t.policies.length})` : ''}`)),
  );
  const shown = h(
    'div',
    { id: 'policy-lists' },
    ...[...lists.entries()].map(([key, l]) => {
      l.element.hidden = key !== 'api';
      return l.element;
    }),
  );
  target.addEventListener('change', () => {
    for (const [key, l] of lists) l.element.hidden = key !== target.value;
  });
  const adding = h(
    'select',
    { id: 'policy-add', 'aria-label': 'Policy to add' },
    ...catalog.map((p) => h('option', { value: p.name }, p.name)),
  );
  const addButton = h(
    'button',
    { type: 'button', class: 'secondary', id: 'policy-add-button', onclick: () => lists.get(target.value)?.add(adding.value, {}) },
    'Add policy',
  );
  const described = h('p', { class: 'hint', id: 'policy-add-description' }, catalog[0]?.description ?? '');
  adding.addEventListener('change', () => {
    described.textContent = byName.get(adding.value)?.description ?? '';
  });
  const submit = h('button', { type: 'submit' }, 'Save policies');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', id: 'policies-form' },
    field('Attach to', target, "The API's policies run first, then the operation's, in the order listed."),
    shown,
    h('div', { class: 'row' }, adding, addButton),
    described,
    h('p', { class: 'hint' }, 'Gateways serve changes once you create a revision and deploy it (Lifecycle & deploy).'),
    submit,
    out,
  );
  patchOnSubmit(
    form,
    submit,
    out,
    api.id,
    () => ({
      policies: lists.get('api')?.read() ?? [],
      resources: api.resources.map((r, i) => ({
        method: r.method,
        path: r.path,
        authType: r.authType as AuthType,
        scopes: r.scopes,
        throttlingPolicy: r.throttlingPolicy,
        policies: lists.get(String(i))?.read() ?? [],
      })),
    }),
    reload,
  );
  return form;
}

/** One target's ordered list of policy cards. */
function policyList(
  pointer: string,
  initial: readonly Attached[],
  catalog: ReadonlyMap<string, PolicyCatalogEntry>,
): { element: HTMLElement; add(name: string, config: Record<string, unknown>): void; read(): Attached[] } {
  const list = h('ol', { class: 'policy-list', 'data-pointer': pointer });
  const empty = h('p', { class: 'muted' }, 'No policy attached here.');
  const cards: Array<{ element: HTMLElement; name: string; form: SchemaField }> = [];
  const refresh = () => {
    empty.hidden = list.children.length > 0;
  };
  const add = (name: string, config: Record<string, unknown>) => {
    const entry = catalog.get(name);
    const form = schemaField((entry?.configSchema ?? {}) as JsonSchema, config, '', 'Configuration');
    const move = (by: -1 | 1) => {
      const sibling = by < 0 ? card.previousElementSibling : (card.nextElementSibling?.nextElementSibling ?? null);
      if (by < 0 && sibling === null) return;
      list.insertBefore(card, sibling);
    };
    const card: HTMLElement = h(
      'li',
      { class: 'card policy', 'data-policy': name },
      h(
        'div',
        { class: 'row' },
        h('h3', {}, name),
        h('button', { type: 'button', class: 'secondary small', 'aria-label': `Move ${name} up`, onclick: () => move(-1) }, '↑'),
        h('button', { type: 'button', class: 'secondary small', 'aria-label': `Move ${name} down`, onclick: () => move(1) }, '↓'),
        h(
          'button',
          {
            type: 'button',
            class: 'danger small',
            'aria-label': `Remove ${name}`,
            onclick: () => {
              card.remove();
              cards.splice(
                cards.findIndex((c) => c.element === card),
                1,
              );
              refresh();
            },
          },
          'Remove',
        ),
      ),
      entry === undefined
        ? h('p', { class: 'error' }, 'This gateway does not know this policy.')
        : h('p', { class: 'hint' }, entry.description),
      form.element,
    );
    cards.push({ element: card, name, form });
    list.append(card);
    refresh();
  };
  for (const p of initial) add(p.name, p.config);
  return {
    element: h('div', { class: 'policy-target' }, list, empty),
    add,
    read() {
      // In the order shown; each control's pointer names its place, so a refused field is marked where it is.
      return [...list.children].map((element, i) => {
        const card = cards.find((c) => c.element === element);
        element
          .querySelectorAll<HTMLElement>('[data-rel]')
          .forEach((control) => control.setAttribute('data-pointer', `${pointer}/${i}/config${control.getAttribute('data-rel') ?? ''}`));
        return { name: card?.name ?? '', config: (card?.form.read() ?? {}) as Record<string, unknown> };
      });
    },
  };
}

import { ROLE_PLURAL } from '../../components/roles.ts';
import type { PublisherApi, Role, Visibility } from '../../api/types.ts';
import { h } from '../../components/dom.ts';
import { patchOnSubmit } from './patch-form.ts';

// Records over the schema's enums: the compiler fails if the control plane adds or drops a value.
const VISIBILITY: Record<Visibility, string> = {
  PUBLIC: 'Everyone, signed in or not',
  PRIVATE: 'Every signed-in user',
  RESTRICTED: 'Signed-in users of the roles ticked below',
};
const ROLES: Record<Role, string> = ROLE_PLURAL;

/** Who finds the API in the catalog: PUBLIC, PRIVATE or RESTRICTED to roles. Takes effect at once. */
export function visibilityTab(api: PublisherApi, reload: () => Promise<void>): HTMLElement {
  const radios = (Object.keys(VISIBILITY) as Visibility[]).map((v) =>
    h('input', { type: 'radio', name: 'visibility', value: v, checked: v === api.visibility }),
  );
  const roleBoxes = (Object.keys(ROLES) as Role[]).map((r) =>
    h('input', { type: 'checkbox', name: 'visible-role', value: r, checked: api.visibleRoles.includes(r) }),
  );
  const chosen = () => (radios.find((r) => r.checked)?.value ?? api.visibility) as Visibility;
  const roles = h(
    'fieldset',
    { 'data-pointer': '/visibleRoles', id: 'visible-roles' },
    h('legend', {}, 'Roles that see it'),
    ...roleBoxes.map((b) => h('label', { class: 'check' }, b, ` ${ROLES[b.value as Role]}`)),
  );
  // Roles mean something for RESTRICTED only; the control plane refuses them with the others.
  const sync = () => (roles.disabled = chosen() !== 'RESTRICTED');
  radios.forEach((r) => r.addEventListener('change', sync));
  sync();
  const submit = h('button', { type: 'submit' }, 'Save visibility');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', id: 'visibility-form' },
    h(
      'fieldset',
      { 'data-pointer': '/visibility' },
      h('legend', {}, 'Who sees this API in the catalog'),
      ...radios.map((r) => h('label', { class: 'check' }, r, ' ', h('strong', {}, r.value), ` — ${VISIBILITY[r.value as Visibility]}`)),
    ),
    roles,
    h(
      'p',
      { class: 'hint' },
      'Visibility changes the catalog at once, no revision needed: who cannot see the API cannot subscribe to it; subscriptions that exist stay as they are.',
    ),
    submit,
    out,
  );
  patchOnSubmit(
    form,
    submit,
    out,
    api.id,
    () => ({
      visibility: chosen(),
      visibleRoles: chosen() === 'RESTRICTED' ? roleBoxes.filter((b) => b.checked).map((b) => b.value as Role) : [],
    }),
    reload,
  );
  return form;
}

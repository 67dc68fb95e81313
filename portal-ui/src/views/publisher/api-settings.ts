import { publisherApi } from '../../api/publisher.ts';
import type { PublisherApi, UpdateApi } from '../../api/types.ts';
import { h } from '../../components/dom.ts';
import { field } from '../../components/feedback.ts';
import { patchOnSubmit } from './patch-form.ts';

const list = (s: string) =>
  s
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');

/** Name, description, tags, tiers, CORS and the backend JWT: one PATCH. Endpoints, visibility and headers have tabs of their own. */
export async function settingsTab(api: PublisherApi, reload: () => Promise<void>): Promise<HTMLElement> {
  const { list: tiers } = await publisherApi.policies('subscription');
  const name = h('input', { value: api.name, required: true, 'data-pointer': '/name' });
  const description = h('textarea', { rows: '4', 'data-pointer': '/description' });
  description.value = api.description;
  const tagsInput = h('input', { value: api.tags.join(', '), 'data-pointer': '/tags' });
  const tierBoxes = tiers.map((t) => h('input', { type: 'checkbox', value: t.name, checked: api.subscriptionTiers.includes(t.name) }));
  const isDefault = h('input', { type: 'checkbox', checked: api.isDefaultVersion });
  const corsOn = h('input', { type: 'checkbox', checked: api.cors?.enabled === true });
  const corsOrigins = h('input', {
    value: (api.cors?.allowOrigins ?? []).join(', '),
    placeholder: 'https://app.example.com, *',
    'data-pointer': '/cors/allowOrigins',
  });
  const corsCreds = h('input', { type: 'checkbox', checked: api.cors?.allowCredentials === true });
  const backendJwt = h('input', { type: 'checkbox', checked: api.backendJwt });
  const submit = h('button', { type: 'submit' }, 'Save changes');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', id: 'settings-form' },
    field('Name', name),
    field('Description (Markdown)', description),
    field('Tags', tagsInput, 'Comma separated'),
    h('label', { class: 'check' }, isDefault, ' Default version (also served without the version in the path)'),
    h(
      'fieldset',
      { 'data-pointer': '/subscriptionTiers' },
      h('legend', {}, 'Tiers offered'),
      ...tierBoxes.map((b, i) => h('label', { class: 'check' }, b, ` ${tiers[i]?.displayName ?? ''}`)),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'CORS'),
      h('label', { class: 'check' }, corsOn, ' Answer CORS at the gateway'),
      field('Allowed origins', corsOrigins),
      h('label', { class: 'check' }, corsCreds, ' Allow credentials'),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Backend JWT'),
      h('label', { class: 'check' }, backendJwt, " Send a gateway-signed JWT with the caller's context (X-JWT-Assertion)"),
    ),
    h('p', { class: 'hint' }, 'Gateways serve changes once you create a revision and deploy it (Lifecycle & deploy).'),
    submit,
    out,
  );
  const body = (): UpdateApi => ({
    name: name.value,
    description: description.value,
    tags: list(tagsInput.value),
    isDefaultVersion: isDefault.checked,
    subscriptionTiers: tierBoxes.filter((b) => b.checked).map((b) => b.value),
    cors:
      corsOn.checked || api.cors !== null
        ? { enabled: corsOn.checked, allowOrigins: list(corsOrigins.value), allowCredentials: corsCreds.checked }
        : null,
    backendJwt: backendJwt.checked,
  });
  patchOnSubmit(form, submit, out, api.id, body, reload);
  return form;
}

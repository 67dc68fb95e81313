import { adminApi } from '../../api/admin.ts';
import { h } from '../../components/dom.ts';
import { field, onSubmit } from '../../components/feedback.ts';
import { render as reloadAdmin } from '../../router.ts';

/** Gateway environments publishers deploy to. */
export async function environmentsTab(): Promise<HTMLElement> {
  const { list } = await adminApi.environments();
  const name = h('input', { required: true, placeholder: 'internal', 'data-pointer': '/name' });
  const displayName = h('input', { required: true, placeholder: 'Internal gateway', 'data-pointer': '/displayName' });
  const type = h('select', { 'data-pointer': '/type' }, ...['hybrid', 'production', 'sandbox'].map((t) => h('option', { value: t }, t)));
  const hostname = h('input', { placeholder: 'api.example.com (optional)', 'data-pointer': '/hostname' });
  const submit = h('button', { type: 'submit' }, 'Add environment');
  const out = h('div', {});
  const form = h(
    'form',
    { class: 'card', id: 'environment-form' },
    h('h2', {}, 'New gateway environment'),
    h(
      'div',
      { class: 'columns' },
      field('Name', name),
      field('Display name', displayName),
      field('Type', type),
      field('Hostname', hostname),
    ),
    h(
      'p',
      { class: 'hint' },
      'Each environment is one gateway deployment (wrangler.toml [env.*] with GATEWAY_ENVIRONMENT set to its name).',
    ),
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    await adminApi.createEnvironment({
      name: name.value.trim(),
      displayName: displayName.value.trim(),
      type: type.value,
      hostname: hostname.value.trim() === '' ? null : hostname.value.trim(),
    });
    await reloadAdmin();
  });
  return h(
    'div',
    { class: 'stack' },
    h(
      'table',
      { id: 'environments' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Type'), h('th', {}, 'Hostname'), h('th', {}, 'Private backends'))),
      h(
        'tbody',
        {},
        ...list.map((e) =>
          h(
            'tr',
            {},
            h('td', { 'data-label': 'Name' }, h('strong', {}, e.displayName), h('div', { class: 'muted' }, e.name)),
            h('td', { 'data-label': 'Type' }, e.type),
            h('td', { 'data-label': 'Hostname' }, e.hostname ?? 'any'),
            h('td', { 'data-label': 'Private backends' }, e.allowPrivateBackends ? 'allowed' : 'refused'),
          ),
        ),
      ),
    ),
    form,
  );
}

import { devportalApi } from '../../api/devportal.ts';
import type { Application, CatalogApi } from '../../api/types.ts';
import { badge } from '../../components/badges.ts';
import { h, mount } from '../../components/dom.ts';
import { confirmButton, empty, field, onSubmit } from '../../components/feedback.ts';
import { layout } from '../../components/layout.ts';
import { SUBSCRIBE_HOW } from '../../components/tiers.ts';
import { apiKeysSection } from './app-api-keys.ts';
import { externalClientsSection } from './app-external-clients.ts';
import { keyManagerChoiceSection } from './app-key-manager-choice.ts';
import { keysSection } from './app-keys.ts';
import { subscriptionsSection } from './app-subscriptions.ts';

/** Applications: create, rename, delete; per application its keys, API keys and subscriptions (the catalog fetched once for all). */
export async function applicationsView(): Promise<void> {
  const [{ list }, { list: catalog }] = await Promise.all([devportalApi.applications(), devportalApi.catalog()]);
  const name = h('input', {
    id: 'app-name',
    placeholder: 'Application name',
    required: true,
    'data-pointer': '/name',
    'aria-label': 'Application name',
  });
  const description = h('input', {
    id: 'app-description',
    placeholder: 'Description (optional)',
    'data-pointer': '/description',
    'aria-label': 'Description',
  });
  const create = h('button', { type: 'submit' }, 'Create application');
  const out = h('div', {});
  const form = h('form', { class: 'inline', 'data-form': 'create-app' }, name, description, create, out);
  onSubmit(form, create, out, async () => {
    await devportalApi.createApplication({ name: name.value, description: description.value });
    await applicationsView();
  });
  const cards = await Promise.all(list.map((app) => applicationCard(app, catalog)));
  layout(
    'Applications',
    form,
    list.length === 0
      ? empty(
          'No applications yet. Create one above, or subscribe from an API: ',
          h('p', { class: 'hint', id: 'subscribe-how' }, SUBSCRIBE_HOW),
        )
      : h('div', { class: 'stack', id: 'applications' }, ...cards),
  );
}

async function applicationCard(app: Application, catalog: CatalogApi[]): Promise<HTMLElement> {
  const [keys, apiKeys, choice, external, subs] = await Promise.all([
    keysSection(app),
    apiKeysSection(app, catalog),
    keyManagerChoiceSection(app, () => void applicationsView()),
    externalClientsSection(app),
    subscriptionsSection(app, catalog, () => applicationsView()),
  ]);
  return h(
    'article',
    { class: 'card', 'data-app': app.name },
    h('div', { class: 'card-head' }, h('h2', {}, app.name), app.status === 'APPROVED' ? null : badge(app.status), editControls(app)),
    app.description === '' ? null : h('p', {}, app.description),
    h(
      'p',
      { class: 'muted' },
      `Application tier: ${app.throttlingPolicy} · `,
      h('a', { href: `#/usage/${encodeURIComponent(app.id)}` }, 'Usage'),
    ),
    keys,
    apiKeys,
    choice,
    external,
    subs,
  );
}

function editControls(app: Application): HTMLElement {
  const box = h('div', { class: 'actions' });
  const rename = h('button', { type: 'button', class: 'secondary small', 'data-action': 'edit-app' }, 'Edit');
  const out = h('div', {});
  const remove = confirmButton(
    'Delete',
    { class: 'danger small', 'data-action': 'delete-app' },
    out,
    {
      consequence: `Every token, refresh token and API key of ${app.name} stops working at once and its subscriptions end.`,
      confirm: `Delete ${app.name}`,
    },
    async () => {
      await devportalApi.deleteApplication(app.id);
      await applicationsView();
    },
  );
  rename.addEventListener('click', () => {
    const name = h('input', { value: app.name, 'data-pointer': '/name', required: true });
    const description = h('input', { value: app.description, 'data-pointer': '/description' });
    const save = h('button', { type: 'submit' }, 'Save');
    const out = h('div', {});
    const form = h(
      'form',
      { class: 'stack-form' },
      field('Name', name),
      field('Description', description),
      h(
        'div',
        { class: 'actions' },
        save,
        h('button', { type: 'button', class: 'secondary', onclick: () => void applicationsView() }, 'Cancel'),
      ),
      out,
    );
    onSubmit(form, save, out, async () => {
      await devportalApi.updateApplication(app.id, { name: name.value, description: description.value });
      await applicationsView();
    });
    mount(box, form);
    name.focus();
  });
  mount(box, rename, remove, out);
  return box;
}

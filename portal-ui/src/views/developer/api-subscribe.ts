import { devportalApi } from '../../api/devportal.ts';
import type { CatalogApiDetail } from '../../api/types.ts';
import { badge } from '../../components/badges.ts';
import { h } from '../../components/dom.ts';
import { field, onSubmit } from '../../components/feedback.ts';
import { SUBSCRIBE_HOW, tierOptions } from '../../components/tiers.ts';
import { can, signInHref, user } from '../../session.ts';
import { statusNote } from './app-subscriptions.ts';

const NEW_APP = '__new__';

/**
 * Subscribe where the API is: pick one of your applications or create one, pick a tier (each with
 * what it allows), subscribe. A visitor is asked to sign in and comes back to this page.
 */
export async function subscribeSection(
  api: Pick<CatalogApiDetail, 'id' | 'name' | 'version' | 'lifecycleState' | 'subscriptionTiers' | 'tiers'>,
  reload: () => Promise<void>,
): Promise<HTMLElement> {
  const section = h('section', { class: 'card', id: 'subscribe' }, h('h2', {}, 'Subscribe'));
  if (user() === null) {
    section.append(
      h(
        'p',
        {},
        'To call this API you need an application subscribed to it. ',
        h('a', { href: signInHref(), id: 'signin-to-subscribe' }, 'Sign in or create a developer account'),
        ' to subscribe; you come back here afterwards.',
      ),
    );
    return section;
  }
  if (!can('apps:manage')) {
    section.append(h('p', { class: 'muted' }, 'Your account cannot manage applications; developer accounts subscribe to APIs.'));
    return section;
  }
  const { list: apps } = await devportalApi.applications();
  const subs = (
    await Promise.all(
      apps.map(async (a) => ({ app: a, sub: (await devportalApi.subscriptions(a.id)).list.find((s) => s.apiId === api.id) })),
    )
  ).filter((x) => x.sub !== undefined);
  const subscribed =
    subs.length === 0
      ? null
      : h(
          'ul',
          { class: 'plain', id: 'subscribed-apps' },
          ...subs.map(({ app, sub }) =>
            h(
              'li',
              {},
              h('strong', {}, app.name),
              ` on ${sub?.tier ?? ''} `,
              sub === undefined ? null : badge(sub.status),
              sub === undefined ? null : statusNote(sub),
            ),
          ),
        );
  section.append(h('p', { class: 'hint' }, SUBSCRIBE_HOW));
  if (subscribed !== null) section.append(subscribed);
  if (api.lifecycleState === 'DEPRECATED') {
    section.append(h('p', { class: 'muted' }, `${api.name} ${api.version} is deprecated and takes no new subscriptions.`));
    return section;
  }
  const open = apps.filter((a) => !subs.some((s) => s.app.id === a.id));
  const appSelect = h(
    'select',
    { id: 'subscribe-app', 'data-pointer': '/applicationId' },
    ...open.map((a) => h('option', { value: a.id }, a.name)),
    h('option', { value: NEW_APP }, 'A new application…'),
  );
  const newName = h('input', {
    id: 'subscribe-new-app',
    placeholder: 'Name of the new application',
    'data-pointer': '/name',
    maxlength: '100',
  });
  const newField = field('New application', newName);
  const showNew = () => {
    newField.hidden = appSelect.value !== NEW_APP;
    newName.required = appSelect.value === NEW_APP;
  };
  appSelect.addEventListener('change', showNew);
  showNew();
  const tier = h('select', { id: 'subscribe-tier', 'data-pointer': '/tier' }, ...tierOptions(api));
  const submit = h('button', { type: 'submit', id: 'subscribe-submit' }, 'Subscribe');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'stack-form', 'data-form': 'subscribe-here' },
    field('Application', appSelect),
    newField,
    field('Tier', tier),
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    const applicationId =
      appSelect.value === NEW_APP ? (await devportalApi.createApplication({ name: newName.value.trim() })).id : appSelect.value;
    const sub = await devportalApi.subscribe(applicationId, api.id, tier.value);
    await reload();
    const done = document.getElementById('subscribe');
    if (done !== null) {
      const note = h(
        'p',
        { class: sub.status === 'ON_HOLD' ? 'warning' : 'ok', role: 'status', id: 'subscribed' },
        sub.status === 'ON_HOLD' ? 'Subscribed; an admin approves the subscription before calls go through.' : 'Subscribed. ',
        h('a', { href: '#/applications' }, 'Generate keys under Applications'),
        '.',
      );
      done.append(note);
    }
  });
  if (open.length === 0) appSelect.value = NEW_APP;
  showNew();
  section.append(form);
  return section;
}

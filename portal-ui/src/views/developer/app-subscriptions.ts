import { devportalApi } from '../../api/devportal.ts';
import type { Application, CatalogApi, Subscription } from '../../api/types.ts';
import { badge } from '../../components/badges.ts';
import { h, mount } from '../../components/dom.ts';
import { actionButton, errorBox, onSubmit } from '../../components/feedback.ts';

/** Subscriptions with their tier and status, tier change, unsubscribe, and subscribing to more APIs. */
export async function subscriptionsSection(app: Application, catalog: CatalogApi[], refresh: () => Promise<void>): Promise<HTMLElement> {
  const { list: subs } = await devportalApi.subscriptions(app.id);
  return h(
    'section',
    { class: 'subscriptions' },
    h('h3', {}, 'Subscriptions'),
    subs.length === 0 ? h('p', { class: 'muted' }, 'Not subscribed to any API yet: pick one below or from the catalog.') : h('ul', { class: 'plain' }, ...subs.map((s) => subscriptionRow(s, catalog.find((a) => a.id === s.apiId), refresh))),
    subscribeForm(app, subs, catalog, refresh),
  );
}

function subscriptionRow(sub: Subscription, api: CatalogApi | undefined, refresh: () => Promise<void>): HTMLElement {
  const out = h('span', {});
  const tiers = api?.subscriptionTiers ?? [sub.tier];
  const tier = h('select', { 'aria-label': `Tier for ${sub.apiName}`, 'data-field': 'change-tier' }, ...tiers.map((t) => h('option', { value: t, selected: t === sub.tier }, t)));
  tier.addEventListener('change', () =>
    void devportalApi.changeTier(sub.id, tier.value).then(
      () => mount(out, h('span', { class: 'ok' }, ' Tier changed')),
      (err: unknown) => mount(out, errorBox(err)),
    ),
  );
  const remove = actionButton('Unsubscribe', { class: 'danger small' }, out, async () => {
    await devportalApi.unsubscribe(sub.id);
    await refresh();
  });
  return h('li', { 'data-subscription': sub.id }, h('a', { href: `#/apis/${encodeURIComponent(sub.apiId)}` }, `${sub.apiName} ${sub.apiVersion}`), ' · ', tier, ' · ', badge(sub.status), ' ', remove, out);
}

function subscribeForm(app: Application, subs: Subscription[], catalog: CatalogApi[], refresh: () => Promise<void>): HTMLElement {
  const open = catalog.filter((a) => a.lifecycleState !== 'DEPRECATED' && !subs.some((s) => s.apiId === a.id));
  if (open.length === 0) return h('p', { class: 'muted' }, 'Subscribed to every API in the catalog.');
  const apiSelect = h('select', { 'aria-label': 'API', 'data-field': 'api', 'data-pointer': '/apiId' }, ...open.map((a) => h('option', { value: a.id }, `${a.name} ${a.version}`)));
  const tierSelect = h('select', { 'aria-label': 'Tier', 'data-field': 'tier', 'data-pointer': '/tier' });
  const fillTiers = () => {
    const chosen = open.find((a) => a.id === apiSelect.value);
    tierSelect.replaceChildren(...(chosen?.subscriptionTiers ?? []).map((t) => h('option', { value: t }, t)));
  };
  apiSelect.addEventListener('change', fillTiers);
  fillTiers();
  const out = h('div', {});
  const submit = h('button', { type: 'submit', class: 'secondary' }, 'Subscribe');
  const form = h('form', { class: 'inline', 'data-form': 'subscribe' }, apiSelect, tierSelect, submit, out);
  onSubmit(form, submit, out, async () => {
    await devportalApi.subscribe(app.id, apiSelect.value, tierSelect.value);
    await refresh();
  });
  return form;
}

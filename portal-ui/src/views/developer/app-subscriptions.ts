import { devportalApi } from '../../api/devportal.ts';
import type { Application, CatalogApi, Subscription } from '../../api/types.ts';
import { badge } from '../../components/badges.ts';
import { h, mount } from '../../components/dom.ts';
import { confirmButton, errorBox, onSubmit } from '../../components/feedback.ts';
import { tierOptions } from '../../components/tiers.ts';

/** Why a subscription does not let calls through yet (or any more), in words, with the admin's reason. */
export function statusNote(sub: Subscription): HTMLElement | null {
  if (sub.status === 'ON_HOLD')
    return h(
      'span',
      { class: 'muted', 'data-status-note': sub.status },
      ' Waiting for an admin to approve it; calls are refused until then.',
    );
  if (sub.status === 'REJECTED')
    return h(
      'span',
      { class: 'error-text', 'data-status-note': sub.status },
      ` An admin rejected it${sub.statusReason === null ? '.' : `: “${sub.statusReason}”`}`,
    );
  if (sub.status === 'BLOCKED')
    return h('span', { class: 'error-text', 'data-status-note': sub.status }, ' Blocked by the publisher: every call is refused.');
  if (sub.status === 'PROD_ONLY_BLOCKED')
    return h(
      'span',
      { class: 'muted', 'data-status-note': sub.status },
      ' Production calls are blocked by the publisher; sandbox calls go through.',
    );
  return null;
}

/** Subscriptions with their tier and status, tier change, unsubscribe, and subscribing to more APIs. */
export async function subscriptionsSection(app: Application, catalog: CatalogApi[], refresh: () => Promise<void>): Promise<HTMLElement> {
  const { list: subs } = await devportalApi.subscriptions(app.id);
  return h(
    'section',
    { class: 'subscriptions' },
    h('h3', {}, 'Subscriptions'),
    subs.length === 0
      ? h(
          'p',
          { class: 'muted' },
          'Not subscribed to any API yet: pick one below, or ',
          h('a', { href: '#/catalog' }, 'from the catalog'),
          '.',
        )
      : h(
          'ul',
          { class: 'plain' },
          ...subs.map((s) =>
            subscriptionRow(
              s,
              catalog.find((a) => a.id === s.apiId),
              refresh,
            ),
          ),
        ),
    subscribeForm(app, subs, catalog, refresh),
  );
}

function subscriptionRow(sub: Subscription, api: CatalogApi | undefined, refresh: () => Promise<void>): HTMLElement {
  const out = h('span', {});
  const tier = h(
    'select',
    { 'aria-label': `Tier for ${sub.apiName}`, 'data-field': 'change-tier' },
    ...tierOptions(api ?? { subscriptionTiers: [sub.tier], tiers: [] }, sub.tier),
  );
  tier.addEventListener(
    'change',
    () =>
      void devportalApi.changeTier(sub.id, tier.value).then(
        () => mount(out, h('span', { class: 'ok' }, ' Tier changed')),
        (err: unknown) => mount(out, errorBox(err)),
      ),
  );
  const remove = confirmButton(
    'Unsubscribe',
    { class: 'danger small', 'data-action': 'unsubscribe' },
    out,
    {
      consequence: `Every call of this application to ${sub.apiName} ${sub.apiVersion} is refused from the next request on, whatever token or key it uses.`,
      confirm: 'Unsubscribe',
    },
    async () => {
      await devportalApi.unsubscribe(sub.id);
      await refresh();
    },
  );
  return h(
    'li',
    { 'data-subscription': sub.id },
    h(
      'a',
      { href: `#/${sub.apiKind === 'PRODUCT' ? 'products' : 'apis'}/${encodeURIComponent(sub.apiId)}` },
      `${sub.apiName} ${sub.apiVersion}`,
    ),
    ' · ',
    tier,
    ' · ',
    badge(sub.status),
    statusNote(sub),
    ' ',
    remove,
    out,
  );
}

function subscribeForm(app: Application, subs: Subscription[], catalog: CatalogApi[], refresh: () => Promise<void>): HTMLElement {
  const open = catalog.filter((a) => a.lifecycleState !== 'DEPRECATED' && !subs.some((s) => s.apiId === a.id));
  if (open.length === 0) return h('p', { class: 'muted' }, 'Subscribed to every API in the catalog.');
  const apiSelect = h(
    'select',
    { 'aria-label': 'API', 'data-field': 'api', 'data-pointer': '/apiId' },
    ...open.map((a) => h('option', { value: a.id }, `${a.name} ${a.version}`)),
  );
  const tierSelect = h('select', { 'aria-label': 'Tier', 'data-field': 'tier', 'data-pointer': '/tier' });
  const fillTiers = () => {
    const chosen = open.find((a) => a.id === apiSelect.value);
    tierSelect.replaceChildren(...(chosen === undefined ? [] : tierOptions(chosen)));
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

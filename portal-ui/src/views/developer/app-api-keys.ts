import { devportalApi } from '../../api/devportal.ts';
import type { ApiKey, Application, CatalogApi, Subscription } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { confirmButton, onSubmit } from '../../components/feedback.ts';
import { shownOnce } from '../../components/secret.ts';

/**
 * Which subscribed APIs take an API key, and in which header; a warning when none does (a key would
 * be refused by every API the application can call).
 */
export function apiKeyAdvice(subs: Subscription[], catalog: CatalogApi[]): HTMLElement | null {
  if (subs.length === 0)
    return h(
      'p',
      { class: 'hint', 'data-advice': 'none' },
      'Subscribe this application to an API first; the key works for the APIs that accept API keys.',
    );
  const apis = subs.map((s) => ({ sub: s, api: catalog.find((a) => a.id === s.apiId) }));
  const taking = apis.filter((x) => x.api?.acceptsApiKeys === true);
  const oauthOnly = apis.filter((x) => x.api !== undefined && !x.api.acceptsApiKeys);
  const names = (list: typeof apis) => list.map((x) => `${x.sub.apiName} ${x.sub.apiVersion}`).join(', ');
  if (taking.length === 0) {
    return h(
      'p',
      { class: 'warning', role: 'note', 'data-advice': 'oauth-only' },
      `None of the APIs this application is subscribed to accepts API keys (${names(oauthOnly)}: OAuth2 access tokens only), so a key created here would be refused. Use the OAuth2 keys above instead.`,
    );
  }
  return h(
    'p',
    { class: 'hint', 'data-advice': 'some' },
    'Accepted by ',
    ...taking.flatMap((x, i) => [
      i === 0 ? '' : ', ',
      `${x.sub.apiName} ${x.sub.apiVersion} in the `,
      h('code', {}, x.api?.apiKeyHeader ?? 'apikey'),
      ' header',
    ]),
    oauthOnly.length === 0 ? '.' : `; not by ${names(oauthOnly)} (OAuth2 only).`,
  );
}

/** API keys: created with a name, key type and expiry, shown once, revoked at once. */
export async function apiKeysSection(app: Application, catalog: CatalogApi[]): Promise<HTMLElement> {
  const section = h('section', { class: 'api-keys' });
  const render = async () => {
    const [{ list }, { list: subs }] = await Promise.all([devportalApi.apiKeys(app.id), devportalApi.subscriptions(app.id)]);
    const advice = apiKeyAdvice(subs, catalog);
    const name = h('input', { placeholder: 'Key name', required: true, 'data-pointer': '/name', 'aria-label': 'API key name' });
    const keyType = h(
      'select',
      { 'aria-label': 'Key type', 'data-pointer': '/keyType' },
      h('option', { value: 'PRODUCTION' }, 'Production'),
      h('option', { value: 'SANDBOX' }, 'Sandbox'),
    );
    const days = h('input', {
      type: 'number',
      min: '1',
      max: '3650',
      placeholder: 'Expires in days (blank: never)',
      'aria-label': 'Expires in days',
      'data-pointer': '/expiresInDays',
    });
    const submit = h('button', { type: 'submit', class: 'secondary' }, 'Create API key');
    const out = h('div', {});
    const form = h('form', { class: 'inline', 'data-form': 'api-key' }, name, keyType, days, submit, out);
    onSubmit(form, submit, out, async () => {
      const created = await devportalApi.createApiKey(app.id, {
        name: name.value,
        keyType: keyType.value === 'SANDBOX' ? 'SANDBOX' : 'PRODUCTION',
        expiresInDays: days.value === '' ? null : Number(days.value),
      });
      await render();
      section.append(shownOnce('API key', created.key, [apiKeyAdvice(subs, catalog)]));
    });
    const active = list.filter((k) => k.revokedAt === null && (k.expiresAt === null || k.expiresAt > Date.now()));
    mount(
      section,
      h('h3', {}, 'API keys'),
      advice,
      active.length === 0
        ? h('p', { class: 'muted' }, 'No API keys. Create one for callers that cannot use OAuth2.')
        : h('ul', { class: 'plain' }, ...active.map((k) => keyRow(app, k, section, render))),
      form,
    );
  };
  await render();
  return section;
}

/** The overlaps a developer picks from when rolling a key (seconds). */
const OVERLAPS: Array<[number, string]> = [
  [0, 'none: the old key stops now'],
  [3600, '1 hour'],
  [86_400, '1 day'],
  [7 * 86_400, '7 days'],
];

/**
 * Roll (Unkey's rollKey): a new key with the same settings, shown once; the old one keeps working
 * until the chosen overlap ends, so callers can switch without an outage.
 */
function rollForm(app: Application, key: ApiKey, section: HTMLElement, refresh: () => Promise<void>): HTMLElement {
  const overlap = h(
    'select',
    { 'aria-label': `Overlap for rolling ${key.name}`, 'data-pointer': '/overlapSeconds' },
    ...OVERLAPS.map(([seconds, label]) => h('option', { value: String(seconds), ...(seconds === 3600 ? { selected: true } : {}) }, label)),
  );
  const submit = h('button', { type: 'submit', class: 'secondary small', 'data-action': 'roll-key' }, 'Roll key');
  const out = h('span', {});
  const form = h('form', { class: 'inline', 'data-form': 'roll-key' }, h('label', {}, 'Overlap ', overlap), submit, out);
  onSubmit(form, submit, out, async () => {
    const rolled = await devportalApi.rollApiKey(app.id, key.id, { overlapSeconds: Number(overlap.value) });
    await refresh();
    const until =
      rolled.previous.revokedAt !== null
        ? `${key.name} (${key.prefix}…) stopped working now.`
        : `${key.name} (${key.prefix}…) keeps working until ${new Date(rolled.previous.expiresAt ?? 0).toLocaleString()}; switch your callers before then.`;
    section.append(shownOnce('New API key', rolled.key.key, [h('p', { class: 'hint', 'data-overlap': '' }, until)]));
  });
  return form;
}

function keyRow(app: Application, key: ApiKey, section: HTMLElement, refresh: () => Promise<void>): HTMLElement {
  const out = h('span', {});
  const revoke = confirmButton(
    'Revoke',
    { class: 'danger small', 'data-action': 'revoke-key' },
    out,
    {
      consequence: `Calls with ${key.name} (${key.prefix}…) are refused from the next request on; callers using it need a new key.`,
      confirm: `Revoke ${key.name}`,
    },
    async () => {
      await devportalApi.revokeApiKey(app.id, key.id);
      await refresh();
    },
  );
  // A rolled key is in its overlap: it says until when, and cannot be rolled again.
  const expiry =
    key.rolledTo !== null
      ? h('span', { class: 'warning', 'data-overlap': '' }, `rolled; works until ${new Date(key.expiresAt ?? 0).toLocaleString()}`)
      : key.expiresAt === null
        ? 'never expires'
        : `expires ${new Date(key.expiresAt).toLocaleDateString()}`;
  const lastUsed = key.lastUsedAt === null ? ' · never used' : ` · last used ${new Date(key.lastUsedAt).toLocaleString()}`;
  return h(
    'li',
    { 'data-key': key.id },
    h('strong', {}, key.name),
    ` · ${key.keyType} · `,
    h('code', {}, `${key.prefix}…`),
    ' · ',
    expiry,
    lastUsed,
    ' ',
    revoke,
    out,
    key.rolledTo === null ? rollForm(app, key, section, refresh) : '',
  );
}

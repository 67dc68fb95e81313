import { ProblemError, portalApi, type Application, type CatalogApi, type User } from './api.ts';
import { h, mount } from './dom.ts';
import './style.css';

const root = document.getElementById('app') as HTMLElement;
let me: { user: User; scopes: string[] } | null = null;

function errorBox(err: unknown): HTMLElement {
  if (err instanceof ProblemError) {
    return h('div', { class: 'error', role: 'alert' }, h('strong', {}, err.problem.title), err.problem.detail === undefined ? null : h('p', {}, err.problem.detail), h('ul', {}, ...(err.problem.errors ?? []).map((e) => h('li', {}, `${e.pointer}: ${e.detail}`))));
  }
  return h('div', { class: 'error', role: 'alert' }, String(err));
}

async function busy<T>(button: HTMLButtonElement, work: () => Promise<T>): Promise<T> {
  button.disabled = true;
  button.classList.add('busy');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.classList.remove('busy');
  }
}

function layout(title: string, ...content: Array<Node | null>): void {
  const nav = me === null ? [] : [h('a', { href: '#/catalog' }, 'Catalog'), h('a', { href: '#/applications' }, 'Applications'), me.scopes.includes('api:view') ? h('a', { href: '#/publisher' }, 'Publisher') : null];
  const user = me === null ? null : h('span', { class: 'user' }, me.user.email, ' ', h('button', { class: 'link', id: 'logout', onclick: () => void portalApi.logout().then(() => ((me = null), route())) }, 'Sign out'));
  mount(root, h('header', {}, h('a', { class: 'brand', href: '#/catalog' }, 'Turnpike'), h('nav', {}, ...nav), user), h('main', {}, h('h1', {}, title), ...content));
}

function loginView(): void {
  const email = h('input', { id: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const out = h('div', {});
  const submit = h('button', { type: 'submit', id: 'login' }, 'Sign in');
  const form = h('form', { class: 'card narrow' }, h('label', { for: 'email' }, 'Email'), email, h('label', { for: 'password' }, 'Password'), password, submit, out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(submit, async () => {
      try {
        await portalApi.login(email.value, password.value);
        me = await portalApi.me();
        location.hash = '#/catalog';
        route();
      } catch (err) {
        mount(out, errorBox(err));
      }
    });
  });
  layout('Sign in', form, signupForm(), h('p', { class: 'hint' }, 'The demo users and their passwords are printed by npm start.'));
}

function signupForm(): HTMLElement {
  const name = h('input', { id: 'signup-name', autocomplete: 'name', required: true });
  const email = h('input', { id: 'signup-email', type: 'email', autocomplete: 'email', required: true });
  const password = h('input', { id: 'signup-password', type: 'password', autocomplete: 'new-password', required: true, minlength: '12' });
  const out = h('div', {});
  const submit = h('button', { type: 'submit', id: 'signup' }, 'Create developer account');
  const form = h('form', { class: 'card narrow' }, h('h2', {}, 'New here?'), h('label', { for: 'signup-name' }, 'Name'), name, h('label', { for: 'signup-email' }, 'Email'), email, h('label', { for: 'signup-password' }, 'Password (12 characters or more)'), password, submit, out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(submit, async () => {
      try {
        const user = await portalApi.signup(email.value, password.value, name.value);
        if (user.status === 'PENDING') {
          mount(out, h('p', { class: 'warning' }, 'Thanks: an admin approves new accounts before you can sign in.'));
          return;
        }
        await portalApi.login(email.value, password.value);
        me = await portalApi.me();
        location.hash = '#/catalog';
        await route();
      } catch (err) {
        mount(out, errorBox(err));
      }
    });
  });
  return form;
}

async function catalogView(): Promise<void> {
  const search = h('input', { id: 'search', type: 'search', placeholder: 'Search APIs' });
  const list = h('div', { class: 'grid', id: 'catalog' });
  const load = async () => {
    const { list: apis } = await portalApi.catalog(search.value);
    if (apis.length === 0) mount(list, h('p', { class: 'empty' }, 'No APIs match. Publishers publish and deploy APIs from the Publisher view.'));
    else mount(list, ...apis.map(card));
  };
  search.addEventListener('input', () => void load());
  layout('API catalog', search, list);
  await load();
}

function card(api: CatalogApi): HTMLElement {
  return h(
    'article',
    { class: 'card api' },
    h('h2', {}, api.name, ' ', h('span', { class: 'version' }, api.version)),
    h('span', { class: `badge ${api.lifecycleState.toLowerCase()}` }, api.lifecycleState),
    h('p', {}, api.description),
    h('code', {}, api.context + '/' + api.version),
    h('div', { class: 'tags' }, ...api.tags.map((t) => h('span', { class: 'tag' }, t))),
  );
}

async function applicationsView(): Promise<void> {
  const { list } = await portalApi.applications();
  const name = h('input', { id: 'app-name', placeholder: 'Application name', required: true });
  const create = h('button', { type: 'submit' }, 'Create application');
  const out = h('div', {});
  const form = h('form', { class: 'inline' }, name, create, out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(create, async () => {
      try {
        await portalApi.createApplication(name.value);
        await applicationsView();
      } catch (err) {
        mount(out, errorBox(err));
      }
    });
  });
  const apps = await Promise.all(list.map(applicationCard));
  layout('Applications', form, list.length === 0 ? h('p', { class: 'empty' }, 'No applications yet: create one, subscribe it to an API and generate keys.') : h('div', { class: 'stack', id: 'applications' }, ...apps));
}

async function applicationCard(app: Application): Promise<HTMLElement> {
  const [{ list: keys }, { list: subs }] = await Promise.all([portalApi.keys(app.id), portalApi.subscriptions(app.id)]);
  const secretBox = h('div', {});
  const production = keys.find((k) => k.keyType === 'PRODUCTION');
  const generate = h('button', { class: 'secondary' }, 'Generate production keys');
  generate.addEventListener('click', () =>
    void busy(generate, async () => {
      try {
        const created = await portalApi.generateKeys(app.id);
        const secret = created.consumerSecret ?? '';
        const copy = h('button', { class: 'secondary', onclick: () => void navigator.clipboard.writeText(secret) }, 'Copy secret');
        mount(secretBox, h('div', { class: 'warning' }, h('strong', {}, 'Copy the secret now: it is shown once and stored only as a hash.'), h('p', {}, 'client_id ', h('code', {}, created.consumerKey)), h('p', {}, 'client_secret ', h('code', { id: 'secret' }, secret)), copy));
      } catch (err) {
        mount(secretBox, errorBox(err));
      }
    }),
  );
  const gateway = `${location.protocol}//${location.hostname}:8787`;
  const tokenBox = h('div', {});
  const testToken = h('button', { class: 'secondary', 'data-action': 'test-token' }, 'Generate a test token');
  testToken.addEventListener('click', () =>
    void busy(testToken, async () => {
      try {
        const t = await portalApi.testToken(app.id);
        const first = subs[0];
        mount(
          tokenBox,
          h('p', {}, `Access token (valid ${Math.round(t.expiresIn / 60)} minutes):`),
          h('pre', { class: 'curl', id: 'test-token' }, t.accessToken),
          first === undefined ? null : h('pre', { class: 'curl' }, `curl -H "Authorization: Bearer ${t.accessToken}" ${gateway}${first.apiContext}/${first.apiVersion}/<resource>`),
        );
      } catch (err) {
        mount(tokenBox, errorBox(err));
      }
    }),
  );
  const subscribeBox = await subscribeForm(app, subs);
  return h(
    'article',
    { class: 'card', 'data-app': app.name },
    h('h2', {}, app.name),
    h('p', { class: 'muted' }, `Application tier: ${app.throttlingPolicy}`),
    h('h3', {}, 'Keys'),
    production === undefined ? generate : h('p', {}, 'Production client_id ', h('code', {}, production.consumerKey), ` (secret ${production.secretPrefix}…)`),
    secretBox,
    production === undefined ? null : h('pre', { class: 'curl' }, `curl -u '${production.consumerKey}:<secret>' -d grant_type=client_credentials ${gateway}/oauth2/token`),
    production === undefined ? null : testToken,
    tokenBox,
    h('h3', {}, 'Subscriptions'),
    subs.length === 0 ? h('p', { class: 'empty' }, 'Not subscribed to any API yet.') : h('ul', {}, ...subs.map((s) => h('li', {}, `${s.apiName} ${s.apiVersion} · ${s.tier} · `, h('span', { class: `badge ${s.status.toLowerCase()}` }, s.status)))),
    subscribeBox,
  );
}

async function subscribeForm(app: Application, subs: Array<{ apiId: string }>): Promise<HTMLElement> {
  const { list } = await portalApi.catalog('');
  const open = list.filter((a) => a.lifecycleState !== 'DEPRECATED' && !subs.some((s) => s.apiId === a.id));
  if (open.length === 0) return h('p', { class: 'muted' }, 'Subscribed to every API in the catalog.');
  const apiSelect = h('select', { 'aria-label': 'API', 'data-field': 'api' }, ...open.map((a) => h('option', { value: a.id }, `${a.name} ${a.version}`)));
  const tierSelect = h('select', { 'aria-label': 'Tier', 'data-field': 'tier' });
  const fillTiers = () => {
    const chosen = open.find((a) => a.id === apiSelect.value);
    tierSelect.replaceChildren(...(chosen?.subscriptionTiers ?? []).map((t) => h('option', { value: t }, t)));
  };
  apiSelect.addEventListener('change', fillTiers);
  fillTiers();
  const out = h('div', {});
  const submit = h('button', { type: 'submit', class: 'secondary' }, 'Subscribe');
  const form = h('form', { class: 'inline', 'data-form': 'subscribe' }, apiSelect, tierSelect, submit, out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(submit, async () => {
      try {
        await portalApi.subscribe(app.id, apiSelect.value, tierSelect.value);
        await applicationsView();
      } catch (err) {
        mount(out, errorBox(err));
      }
    });
  });
  return form;
}

async function publisherView(): Promise<void> {
  const { list } = await portalApi.publisherApis();
  const rows = await Promise.all(
    list.map(async (api) => {
      const lifecycle = await portalApi.lifecycle(api.id);
      const buttons = lifecycle.allowedTransitions.map((state) =>
        h('button', { class: 'secondary', onclick: () => void portalApi.changeLifecycle(api.id, state).then(() => publisherView()) }, `→ ${state}`),
      );
      return h('tr', {}, h('td', {}, api.name), h('td', {}, h('code', {}, `${api.context}/${api.version}`)), h('td', {}, h('span', { class: `badge ${api.lifecycleState.toLowerCase()}` }, api.lifecycleState)), h('td', {}, ...buttons));
    }),
  );
  layout('Your APIs', list.length === 0 ? h('p', { class: 'empty' }, 'No APIs yet: create one with POST /api/publisher/v1/apis.') : h('table', { id: 'publisher-apis' }, h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Context'), h('th', {}, 'State'), h('th', {}, 'Lifecycle'))), h('tbody', {}, ...rows)));
}

async function route(): Promise<void> {
  try {
    if (me === null) {
      try {
        me = await portalApi.me();
      } catch {
        me = null;
      }
    }
    if (me === null) return loginView();
    const page = location.hash.replace(/^#\//, '');
    if (page === 'applications') await applicationsView();
    else if (page === 'publisher') await publisherView();
    else await catalogView();
  } catch (err) {
    layout('Something went wrong', errorBox(err));
  }
}

window.addEventListener('hashchange', () => void route());
void route();

import type { Endpoint, EndpointInput, EndpointStrategy, PublisherApi } from '../../api/types.ts';
import { h } from '../../components/dom.ts';
import { field } from '../../components/feedback.ts';
import { patchOnSubmit } from './patch-form.ts';
import { rowsEditor } from './rows.ts';

type Side = 'production' | 'sandbox';
const STRATEGIES: Record<EndpointStrategy, string> = {
  single: 'Single: the first URL only',
  load_balance: 'Load balance: round robin over the URLs',
  failover: 'Failover: the first URL that answers, in order',
};
type SecurityChoice = 'keep' | 'none' | 'remove' | 'basic' | 'header';

/**
 * Production and sandbox endpoints: URLs with their timeouts, the strategy across them, and the
 * credential the gateway presents to the backend. Credentials are write-only: the control plane
 * tells which kind is set (and the user or header name), never the secret, and a PATCH that leaves
 * `security` out keeps what is stored.
 */
export function endpointsTab(api: PublisherApi, reload: () => Promise<void>): HTMLElement {
  const sides = (['production', 'sandbox'] as const).map((side) => endpointFieldset(side, api.endpoints[side]));
  const submit = h('button', { type: 'submit' }, 'Save endpoints');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', id: 'endpoints-form', autocomplete: 'off' },
    ...sides.map((s) => s.element),
    h('p', { class: 'hint' }, 'Gateways serve changes once you create a revision and deploy it (Lifecycle & deploy).'),
    submit,
    out,
  );
  patchOnSubmit(
    form,
    submit,
    out,
    api.id,
    () => ({ endpoints: { production: sides[0]?.value() ?? null, sandbox: sides[1]?.value() ?? null } }),
    reload,
  );
  return form;
}

function endpointFieldset(side: Side, e: Endpoint | undefined): { element: HTMLElement; value(): EndpointInput | null } {
  const p = `/endpoints/${side}`;
  const title = side === 'production' ? 'Production' : 'Sandbox';
  const strategy = h(
    'select',
    { 'data-pointer': `${p}/strategy`, 'data-field': 'strategy' },
    ...(Object.keys(STRATEGIES) as EndpointStrategy[]).map((s) =>
      h('option', { value: s, selected: s === (e?.strategy ?? 'single') }, STRATEGIES[s]),
    ),
  );
  const urls = rowsEditor({
    id: `${side}-urls`,
    columns: [
      { key: 'url', label: 'URL', type: 'url', placeholder: 'https://backend.example.com/v1', pointer: (i) => `${p}/urls/${i}/url` },
      { key: 'timeoutMs', label: 'Timeout (ms)', type: 'number', placeholder: '30000', pointer: (i) => `${p}/urls/${i}/timeoutMs` },
      {
        key: 'idleTimeoutMs',
        label: 'Body idle (ms)',
        type: 'number',
        placeholder: '30000',
        pointer: (i) => `${p}/urls/${i}/idleTimeoutMs`,
      },
      { key: 'totalTimeoutMs', label: 'Total (ms)', type: 'number', placeholder: '60000', pointer: (i) => `${p}/urls/${i}/totalTimeoutMs` },
    ],
    rows: (e?.urls ?? []).map((u) => ({
      url: u.url,
      timeoutMs: String(u.timeoutMs),
      idleTimeoutMs: u.idleTimeoutMs === undefined ? '' : String(u.idleTimeoutMs),
      totalTimeoutMs: u.totalTimeoutMs === undefined ? '' : String(u.totalTimeoutMs),
    })),
    addLabel: 'Add URL',
    emptyText: `No URL: calls with ${side} keys are refused until you add one.`,
  });
  const suspend = h('input', {
    type: 'number',
    min: '0',
    max: '3600',
    value: String(e?.suspendSeconds ?? 30),
    'data-pointer': `${p}/suspendSeconds`,
    'data-field': 'suspendSeconds',
  });
  const security = securityFields(side, e?.security ?? null);
  const element = h(
    'fieldset',
    { 'data-endpoint': side },
    h('legend', {}, `${title} endpoint`),
    urls.element,
    field(
      'Strategy',
      strategy,
      'Load balance and failover try the next URL when one cannot be reached, for calls without a body that can safely be repeated.',
    ),
    field('Suspend a failed URL for (seconds)', suspend, 'Failover leaves a URL that failed out for this long.'),
    security.element,
  );
  const value = (): EndpointInput | null => {
    const rows = urls.read();
    if (rows.length === 0) return null;
    const chosen = security.value();
    return {
      strategy: strategy.value as EndpointStrategy,
      urls: rows.map((r) => ({
        url: (r['url'] ?? '').trim(),
        ...numberField(r, 'timeoutMs'),
        ...numberField(r, 'idleTimeoutMs'),
        ...numberField(r, 'totalTimeoutMs'),
      })),
      ...(suspend.value === '' ? {} : { suspendSeconds: Number(suspend.value) }),
      ...(chosen === undefined ? {} : { security: chosen }),
    };
  };
  return { element, value };
}

/** The credential part: what is set now (never its secret), and keep, replace, remove or set one. */
function securityFields(side: Side, current: Endpoint['security']): { element: HTMLElement; value(): EndpointInput['security'] } {
  const p = `/endpoints/${side}/security`;
  const opt = (v: SecurityChoice, label: string) => h('option', { value: v }, label);
  const choice = h(
    'select',
    { 'data-pointer': p, 'data-field': 'security' },
    ...(current === null
      ? [opt('none', 'None'), opt('basic', 'Basic (user name and password)'), opt('header', 'A secret header')]
      : [
          opt('keep', 'Keep the credential that is set'),
          opt('basic', 'Replace with Basic'),
          opt('header', 'Replace with a secret header'),
          opt('remove', 'Remove the credential'),
        ]),
  );
  const username = h('input', {
    value: current?.type === 'basic' ? current.username : '',
    autocomplete: 'off',
    'data-pointer': `${p}/username`,
    'data-field': 'username',
  });
  const password = h('input', {
    type: 'password',
    autocomplete: 'new-password',
    'data-pointer': `${p}/password`,
    'data-field': 'password',
  });
  const name = h('input', {
    value: current?.type === 'header' ? current.name : '',
    placeholder: 'X-Backend-Key',
    autocomplete: 'off',
    'data-pointer': `${p}/name`,
    'data-field': 'header-name',
  });
  const secret = h('input', { type: 'password', autocomplete: 'new-password', 'data-pointer': `${p}/value`, 'data-field': 'header-value' });
  const basic = h(
    'div',
    { class: 'columns' },
    h('div', { class: 'grow' }, field('User name', username)),
    h('div', { class: 'grow' }, field('Password', password)),
  );
  const header = h(
    'div',
    { class: 'columns' },
    h('div', { class: 'grow' }, field('Header name', name)),
    h('div', { class: 'grow' }, field('Header value', secret)),
  );
  const sync = () => {
    basic.hidden = choice.value !== 'basic';
    header.hidden = choice.value !== 'header';
  };
  choice.addEventListener('change', sync);
  sync();
  const now =
    current === null
      ? 'None: the gateway calls the backend without a credential.'
      : current.type === 'basic'
        ? `Basic, as ${current.username}. The password is set and never shown.`
        : `The header ${current.name}. Its value is set and never shown.`;
  const element = h(
    'div',
    { class: 'security' },
    h('p', { 'data-security-now': current?.type ?? 'none' }, h('strong', {}, 'Endpoint security: '), now),
    field('Credential', choice),
    basic,
    header,
  );
  const value = (): EndpointInput['security'] => {
    switch (choice.value as SecurityChoice) {
      case 'basic':
        return { type: 'basic', username: username.value, password: password.value };
      case 'header':
        return { type: 'header', name: name.value, value: secret.value };
      case 'remove':
        return null;
      default:
        return undefined;
    }
  };
  return { element, value };
}

/** A number column of a URL row, left out when empty so the server's default applies. */
function numberField<K extends 'timeoutMs' | 'idleTimeoutMs' | 'totalTimeoutMs'>(
  row: Record<string, string>,
  key: K,
): Partial<Record<K, number>> {
  const v = row[key];
  return v === undefined || v === '' ? {} : ({ [key]: Number(v) } as Partial<Record<K, number>>);
}

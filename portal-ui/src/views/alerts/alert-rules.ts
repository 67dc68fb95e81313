import { alertsApi, type AlertAudience } from '../../api/alerts.ts';
import type { AlertEvent, AlertMetric, AlertRule, AlertRuleInput } from '../../api/types.ts';
import { badge } from '../../components/badges.ts';
import { h, mount } from '../../components/dom.ts';
import { actionButton, empty, errorBox, field, onSubmit } from '../../components/feedback.ts';
import { shownOnce } from '../../components/secret.ts';

/** Something a rule can watch: an API (all its callers) or one subscription. */
export interface AlertTarget {
  scopeType: AlertRule['scopeType'];
  id: string;
  label: string;
}

const METRICS: Record<AlertMetric, { label: string; unit: string; hint: string }> = {
  error_rate: {
    label: 'Error rate',
    unit: '%',
    hint: 'Share of calls answered 5xx, or 4xx other than 429, over the last 5 minutes (at least 5 calls).',
  },
  latency_p95: { label: 'Latency p95', unit: 'ms', hint: '95th percentile of gateway latency over the last 5 minutes (at least 5 calls).' },
  quota_use: { label: 'Quota used', unit: '%', hint: 'Share of the subscription tier’s current window used (subscriptions only).' },
};
const SUBSCRIPTION_BY_ID = '__subscription';

const metricOptions = (selected: AlertMetric, scopeType: AlertRule['scopeType'] | null) =>
  Object.entries(METRICS)
    .filter(([m]) => m !== 'quota_use' || scopeType !== 'API')
    .map(([m, d]) => h('option', { value: m, selected: m === selected }, d.label));
const metricOf = (v: string) => v as AlertMetric;
const describe = (r: { metric: AlertMetric; threshold: number }) => `${METRICS[r.metric].label} ≥ ${r.threshold} ${METRICS[r.metric].unit}`;

/**
 * Alert rules of one audience and the alerts they fired: list, create (the webhook signing secret
 * shown once), change, delete. `targets` are what the user may watch; `bySubscriptionId` adds a
 * free subscription id (admins); `fixedTarget` hides the choice (the publisher's API tab).
 */
export async function alertsPanel(
  audience: AlertAudience,
  targets: AlertTarget[],
  options: { noTargets: string; bySubscriptionId?: boolean; fixedTarget?: boolean },
): Promise<HTMLElement> {
  const api = alertsApi(audience);
  const labels = new Map(targets.map((t) => [t.id, t.label]));
  const targetLabel = (r: AlertRule) => labels.get(r.scopeId) ?? `${r.scopeType === 'API' ? 'API' : 'Subscription'} ${r.scopeId}`;
  const rulesBox = h('div', { id: 'alert-rules', 'aria-live': 'polite' });
  const eventsBox = h('div', { id: 'alert-events', 'aria-live': 'polite' });
  const secretBox = h('div', {});

  const refresh = async () => {
    try {
      const [{ list: rules }, { list: events }] = await Promise.all([api.rules(), api.events()]);
      const byId = new Map(rules.map((r) => [r.id, r]));
      mount(
        rulesBox,
        rules.length === 0
          ? empty(
              'No alert rules yet. Add one below: when the metric reaches the threshold, Turnpike POSTs a signed JSON message to your webhook and lists the alert here.',
            )
          : rulesTable(rules),
      );
      mount(
        eventsBox,
        events.length === 0
          ? empty('No alert has fired. Rules are checked every minute; a fired alert shows here with the webhook’s answer.')
          : eventsTable(events, byId),
      );
    } catch (err) {
      mount(rulesBox, errorBox(err));
    }
  };

  const rulesTable = (rules: AlertRule[]) =>
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h('tr', {}, h('th', {}, 'Watches'), h('th', {}, 'Fires when'), h('th', {}, 'Webhook'), h('th', {}, 'Last fired'), h('th', {}, '')),
      ),
      h('tbody', {}, ...rules.map(ruleRow)),
    );

  const ruleRow = (r: AlertRule): HTMLElement => {
    const out = h('div', {});
    const tr = h('tr', { 'data-alert': r.id });
    const remove = actionButton('Delete', { class: 'danger small', 'data-action': 'delete-alert' }, out, async () => {
      await api.remove(r.id);
      await refresh();
    });
    const edit = h(
      'button',
      {
        type: 'button',
        class: 'secondary small',
        'data-action': 'edit-alert',
        onclick: () => tr.replaceChildren(h('td', { colspan: '5' }, editForm(r))),
      },
      'Edit',
    );
    tr.append(
      h('td', { 'data-label': 'Watches' }, targetLabel(r)),
      h('td', { 'data-label': 'Fires when' }, describe(r), r.enabled ? null : h('span', {}, ' ', badge('disabled'))),
      h('td', { 'data-label': 'Webhook' }, h('code', {}, r.webhookUrl)),
      h('td', { 'data-label': 'Last fired' }, r.lastFiredAt === null ? 'never' : new Date(r.lastFiredAt).toLocaleString()),
      h('td', {}, h('div', { class: 'actions' }, edit, remove), out),
    );
    return tr;
  };

  const editForm = (r: AlertRule): HTMLElement => {
    const metric = h('select', { 'data-pointer': '/metric' }, ...metricOptions(r.metric, r.scopeType));
    const threshold = h('input', { type: 'number', required: true, 'data-pointer': '/threshold', value: String(r.threshold) });
    const webhookUrl = h('input', { type: 'url', required: true, 'data-pointer': '/webhookUrl', value: r.webhookUrl });
    const enabled = h('input', { type: 'checkbox', 'data-pointer': '/enabled', checked: r.enabled });
    const save = h('button', { type: 'submit' }, 'Save rule');
    const out = h('div', {});
    const form = h(
      'form',
      { class: 'stack-form', 'data-form': 'edit-alert' },
      h('strong', {}, targetLabel(r)),
      h('div', { class: 'columns' }, field('Metric', metric), field('Threshold', threshold), field('Webhook URL', webhookUrl)),
      h('label', { class: 'check' }, enabled, ' Enabled'),
      h('div', { class: 'actions' }, save, h('button', { type: 'button', class: 'secondary', onclick: () => void refresh() }, 'Cancel')),
      out,
    );
    onSubmit(form, save, out, async () => {
      await api.update(r.id, {
        metric: metricOf(metric.value),
        threshold: Number(threshold.value),
        webhookUrl: webhookUrl.value.trim(),
        enabled: enabled.checked,
      });
      await refresh();
    });
    queueMicrotask(() => threshold.focus());
    return form;
  };

  const eventsTable = (events: AlertEvent[], rules: Map<string, AlertRule>) =>
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Fired'), h('th', {}, 'Rule'), h('th', {}, 'Value'), h('th', {}, 'Webhook delivery'))),
      h(
        'tbody',
        {},
        ...events.map((e) => {
          const rule = rules.get(e.ruleId);
          const unit = rule === undefined ? '' : ` ${METRICS[rule.metric].unit}`;
          const delivered = e.deliveryStatus !== null && e.deliveryStatus >= 200 && e.deliveryStatus < 300;
          return h(
            'tr',
            { 'data-alert-event': e.id },
            h('td', { 'data-label': 'Fired' }, new Date(e.firedAt).toLocaleString()),
            h(
              'td',
              { 'data-label': 'Rule' },
              rule === undefined ? e.ruleId : `${targetLabel(rule)} · ${describe({ metric: rule.metric, threshold: e.threshold })}`,
            ),
            h('td', { 'data-label': 'Value' }, `${e.value}${unit}`),
            h(
              'td',
              { 'data-label': 'Webhook delivery' },
              e.deliveryStatus === null
                ? h('span', { class: 'error-text' }, 'not reached')
                : h('span', { class: delivered ? 'ok' : 'error-text' }, `HTTP ${e.deliveryStatus}`),
            ),
          );
        }),
      ),
    );

  await refresh();
  const reload = h(
    'button',
    { type: 'button', class: 'secondary small', id: 'alert-events-refresh', onclick: () => void refresh() },
    'Refresh',
  );
  return h(
    'div',
    { class: 'stack alerts' },
    h('section', {}, h('h2', {}, 'Alert rules'), rulesBox),
    secretBox,
    targets.length === 0 && options.bySubscriptionId !== true
      ? empty(options.noTargets)
      : createForm(targets, options.bySubscriptionId === true, options.fixedTarget === true, async (body) => {
          const created = await api.create(body);
          mount(
            secretBox,
            shownOnce(
              'Webhook signing secret',
              created.secret,
              [
                h(
                  'p',
                  {},
                  'Verify each delivery: Turnpike-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body" under this secret>.',
                ),
              ],
              'Copy it now: it is shown once, then kept encrypted for signing only.',
            ),
          );
          await refresh();
        }),
    h('section', {}, h('div', { class: 'card-head' }, h('h2', {}, 'Fired alerts'), reload), eventsBox),
  );
}

function createForm(
  targets: AlertTarget[],
  bySubscriptionId: boolean,
  fixedTarget: boolean,
  create: (body: AlertRuleInput) => Promise<void>,
): HTMLElement {
  const target = h(
    'select',
    { 'data-pointer': '/scopeId', id: 'alert-target' },
    ...targets.map((t) => h('option', { value: t.id }, t.label)),
    bySubscriptionId ? h('option', { value: SUBSCRIPTION_BY_ID }, 'A subscription, by id…') : null,
  );
  const subscriptionId = h('input', { placeholder: 'sub_…', 'aria-label': 'Subscription id', 'data-pointer': '/scopeId' });
  const subscriptionField = field('Subscription id', subscriptionId);
  const scopeType = () =>
    target.value === SUBSCRIPTION_BY_ID ? 'SUBSCRIPTION' : (targets.find((t) => t.id === target.value)?.scopeType ?? 'API');
  const metric = h('select', { 'data-pointer': '/metric', id: 'alert-metric' });
  const metricHint = h('p', { class: 'hint' });
  const threshold = h('input', { type: 'number', required: true, min: '1', id: 'alert-threshold', 'data-pointer': '/threshold' });
  const thresholdField = field('Threshold', threshold);
  const thresholdLabel = thresholdField.querySelector('label') as HTMLLabelElement;
  const webhookUrl = h('input', {
    type: 'url',
    required: true,
    id: 'alert-webhook',
    placeholder: 'https://hooks.example.com/turnpike',
    'data-pointer': '/webhookUrl',
  });
  const enabled = h('input', { type: 'checkbox', checked: true, 'data-pointer': '/enabled' });
  const sync = () => {
    const chosen = metric.value === '' ? 'error_rate' : metricOf(metric.value);
    mount(metric, ...metricOptions(chosen, scopeType()));
    const m = METRICS[metricOf(metric.value)];
    metricHint.textContent = m.hint;
    thresholdLabel.textContent = `Threshold (${m.unit})`;
    threshold.placeholder = m.unit === 'ms' ? '800' : '10';
    subscriptionField.hidden = target.value !== SUBSCRIPTION_BY_ID;
    // The id field takes the /scopeId errors while it is the one in use.
    if (subscriptionField.hidden) target.setAttribute('data-pointer', '/scopeId');
    else target.removeAttribute('data-pointer');
  };
  target.addEventListener('change', sync);
  metric.addEventListener('change', sync);
  sync();
  const submit = h('button', { type: 'submit', id: 'alert-submit' }, 'Add alert rule');
  const out = h('div', {});
  const form = h(
    'form',
    { class: 'card', id: 'alert-form' },
    h('h2', {}, 'New alert rule'),
    h('div', { class: 'columns' }, fixedTarget ? null : field('Watch', target), subscriptionField, field('Metric', metric), thresholdField),
    metricHint,
    field(
      'Webhook URL',
      webhookUrl,
      'https to a public host; it receives a JSON POST signed with a secret shown once when you add the rule.',
    ),
    h('label', { class: 'check' }, enabled, ' Enabled'),
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    const bySub = target.value === SUBSCRIPTION_BY_ID;
    await create({
      scopeType: scopeType(),
      scopeId: bySub ? subscriptionId.value.trim() : target.value,
      metric: metricOf(metric.value),
      threshold: Number(threshold.value),
      webhookUrl: webhookUrl.value.trim(),
      enabled: enabled.checked,
    });
    form.reset();
    sync();
  });
  return form;
}

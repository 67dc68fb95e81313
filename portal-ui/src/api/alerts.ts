import { call, enc, query } from './client.ts';
import type { AlertEvent, AlertRule, AlertRuleInput, AlertRuleUpdate, CreatedAlertRule, Page } from './types.ts';

/** Who looks at alerts: developers (their subscriptions), publishers (their APIs), admins (all). */
export type AlertAudience = 'devportal' | 'publisher' | 'admin';

/** The same alert rules API under each audience's prefix. */
export function alertsApi(audience: AlertAudience) {
  const base = `/api/${audience}/v1/alerts`;
  return {
    rules: () => call<Page<AlertRule>>('GET', base),
    create: (body: AlertRuleInput) => call<CreatedAlertRule>('POST', base, body),
    update: (id: string, body: AlertRuleUpdate) => call<AlertRule>('PATCH', `${base}/${enc(id)}`, body),
    remove: (id: string) => call<null>('DELETE', `${base}/${enc(id)}`),
    events: (alertId?: string) => call<Page<AlertEvent>>('GET', `${base}/events${query({ alertId, limit: 100 })}`),
  };
}

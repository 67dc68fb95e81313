import { and, eq, isNull, lt, or } from 'drizzle-orm';
import { hmacSha256Hex } from '../../../shared/crypto.ts';
import { unseal } from '../../../shared/seal.ts';
import { newId } from '../../../shared/ids.ts';
import { createDb, schema, type Database } from '../db.ts';
import { ALERT_COOLDOWN_MS, measure, WINDOW_MS } from './metrics.ts';
import type { AlertRuleRow, AlertTarget } from './store.ts';

/** How the control plane reaches webhooks; injectable so tests can receive what is sent. */
export type WebhookSender = (url: string, init: RequestInit) => Promise<Response>;

export const SIGNATURE_HEADER = 'Turnpike-Signature';
const DELIVERY_TIMEOUT_MS = 5000;
const EVENT_RETENTION_MS = 30 * 86_400_000;
const RULES_PER_RUN = 1000;

export interface AlertFiring {
  readonly ruleId: string;
  readonly value: number;
  readonly deliveryStatus: number | null;
}

/**
 * Evaluates every enabled rule once (the control plane's cron, every minute) and fires those at or
 * over their threshold that have not fired within ALERT_COOLDOWN_MS. A rule is claimed with a
 * conditional update of `last_fired_at` before its webhook is called, so overlapping runs fire it
 * once. Rules are evaluated here and not in the gateway: the gateway runs once per environment (each
 * deployment would fire its own copy), and only the control plane holds ENCRYPTION_KEY.
 */
export async function evaluateAlerts(env: Env, options: { now?: number; send?: WebhookSender } = {}): Promise<AlertFiring[]> {
  const now = options.now ?? Date.now();
  const send = options.send ?? ((url, init) => fetch(url, init));
  const db = createDb(env.DB);
  const rules = await db.select().from(schema.alertRules).where(eq(schema.alertRules.enabled, true)).limit(RULES_PER_RUN);
  const fired: AlertFiring[] = [];
  for (const rule of rules) {
    if (rule.lastFiredAt !== null && now - rule.lastFiredAt < ALERT_COOLDOWN_MS) continue;
    try {
      const target = await targetOf(db, rule);
      if (target === null) continue;
      const value = await measure(env, db, rule.metric, target, now);
      if (value === null || value < rule.threshold) continue;
      const claimed = await db
        .update(schema.alertRules)
        .set({ lastFiredAt: now })
        .where(
          and(
            eq(schema.alertRules.id, rule.id),
            or(isNull(schema.alertRules.lastFiredAt), lt(schema.alertRules.lastFiredAt, now - ALERT_COOLDOWN_MS + 1)),
          ),
        )
        .returning({ id: schema.alertRules.id });
      if (claimed.length === 0) continue;
      const eventId = newId('alertEvent');
      const deliveryStatus = await deliver(
        env,
        send,
        rule,
        {
          id: eventId,
          type: 'alert.fired',
          alertId: rule.id,
          metric: rule.metric,
          threshold: rule.threshold,
          value,
          firedAt: now,
          windowMs: rule.metric === 'quota_use' ? null : WINDOW_MS,
          scope: { type: rule.scopeType, id: rule.scopeId, ...target },
        },
        now,
      );
      await db
        .insert(schema.alertEvents)
        .values({ id: eventId, ruleId: rule.id, firedAt: now, value, threshold: rule.threshold, deliveryStatus });
      fired.push({ ruleId: rule.id, value, deliveryStatus });
    } catch (cause) {
      console.error(JSON.stringify({ level: 'error', message: 'alert rule not evaluated', ruleId: rule.id, cause: String(cause) }));
    }
  }
  await db.delete(schema.alertEvents).where(lt(schema.alertEvents.firedAt, now - EVENT_RETENTION_MS));
  return fired;
}

async function targetOf(db: Database, rule: AlertRuleRow): Promise<AlertTarget | null> {
  if (rule.scopeType === 'API') return { apiId: rule.scopeId, applicationId: null };
  const sub = (
    await db
      .select({ apiId: schema.subscriptions.apiId, applicationId: schema.subscriptions.applicationId })
      .from(schema.subscriptions)
      .where(eq(schema.subscriptions.id, rule.scopeId))
      .limit(1)
  )[0];
  return sub ?? null;
}

/** `Turnpike-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed by the rule's secret. */
export async function signature(secret: string, body: string, now: number): Promise<string> {
  const t = Math.floor(now / 1000);
  return `t=${t},v1=${await hmacSha256Hex(secret, `${t}.${body}`)}`;
}

async function deliver(env: Env, send: WebhookSender, rule: AlertRuleRow, payload: unknown, now: number): Promise<number | null> {
  const body = JSON.stringify(payload);
  const secret = await unseal(env.ENCRYPTION_KEY, rule.secretCiphertext, rule.id);
  try {
    const res = await send(rule.webhookUrl, {
      method: 'POST',
      // No redirects: the URL was checked where it was registered, a redirect's target was not.
      redirect: 'manual',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Turnpike-Alerts/1',
        [SIGNATURE_HEADER]: await signature(secret, body, now),
      },
      body,
    });
    await res.body?.cancel();
    return res.status;
  } catch (cause) {
    console.error(JSON.stringify({ level: 'warn', message: 'alert webhook not reached', ruleId: rule.id, cause: String(cause) }));
    return null;
  }
}

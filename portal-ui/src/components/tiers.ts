import type { CatalogApi, CatalogTier } from '../api/types.ts';
import { h } from './dom.ts';

const UNIT: Record<string, [string, string] | undefined> = {
  sec: ['second', 'seconds'],
  min: ['minute', 'minutes'],
  hour: ['hour', 'hours'],
  day: ['day', 'days'],
  month: ['month', 'months'],
};
const count = new Intl.NumberFormat('en-US');

const per = (n: number, unit: string): string => {
  const [one, many] = UNIT[unit] ?? [unit, unit];
  return n === 1 ? `per ${one}` : `per ${count.format(n)} ${many}`;
};

/** The fields of a tier (catalog view or admin policy) that say what it allows. */
export type TierLimits = Pick<CatalogTier, 'limit' | 'unitTime' | 'burstLimit'> & {
  quotaType: string;
  timeUnit: string;
  burstTimeUnit: string | null;
};

/** What a tier allows, in words: "5,000 calls per minute, burst 100 per second", or "no limit". */
export function tierAllowance(t: TierLimits): string {
  if (t.limit === null) return 'no limit';
  const what = t.quotaType === 'bandwidth' ? `${count.format(t.limit)} bytes` : `${count.format(t.limit)} call${t.limit === 1 ? '' : 's'}`;
  const burst = t.burstLimit !== null && t.burstTimeUnit !== null ? `, burst ${count.format(t.burstLimit)} ${per(1, t.burstTimeUnit)}` : '';
  return `${what} ${per(t.unitTime, t.timeUnit)}${burst}`;
}

/** "Gold — 5,000 calls per minute, burst 100 per second": the label of a tier in every tier picker. */
export function tierLabel(t: TierLimits & { displayName: string }): string {
  return `${t.displayName} — ${tierAllowance(t)}`;
}

/** Options for a tier picker of `api`: each offered tier with what it allows (a tier without limits known: its name). */
export function tierOptions(api: Pick<CatalogApi, 'subscriptionTiers' | 'tiers'>, selected?: string): HTMLOptionElement[] {
  return api.subscriptionTiers.map((name) => {
    const t = api.tiers.find((x) => x.name === name);
    return h('option', { value: name, selected: name === selected }, t === undefined ? name : tierLabel(t));
  });
}

/** The tiers as a list, for the API's overview. */
export function tierList(api: Pick<CatalogApi, 'subscriptionTiers' | 'tiers'>): HTMLElement {
  return h('ul', { class: 'plain tiers', id: 'api-tiers' }, ...tierOptions(api).map((o) => h('li', {}, o.textContent ?? '')));
}

/** Where to subscribe, said the same way on the Applications page and on an API's page. */
export const SUBSCRIBE_HOW =
  "Open the API in the catalog and press Subscribe: pick one of your applications (or create one there) and a tier. Then generate keys for the application under Applications and call the API from the API's Reference tab or your own code.";

import { h } from './dom.ts';

/** A state as a coloured pill: lifecycle states, subscription statuses, workflow statuses. */
export function badge(state: string): HTMLElement {
  return h('span', { class: `badge ${state.toLowerCase().replace(/[^a-z_]/g, '_')}` }, state);
}

export function tags(list: readonly string[]): HTMLElement {
  return h('div', { class: 'tags' }, ...list.map((t) => h('span', { class: 'tag' }, t)));
}

const TYPE_LABELS: Record<string, string> = { HTTP: 'REST', GRAPHQL: 'GraphQL', WS: 'WebSocket', SSE: 'SSE' };

/** An API's type (HTTP, GRAPHQL, WS, SSE) as a pill, so a catalog reader sees what the console speaks before opening it. */
export function typeBadge(type: string): HTMLElement {
  return h('span', { class: `badge api-type ${type.toLowerCase()}`, 'data-api-type': type }, TYPE_LABELS[type] ?? type);
}

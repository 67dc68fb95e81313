import { h } from './dom.ts';

/** A state as a coloured pill: lifecycle states, subscription statuses, workflow statuses. */
export function badge(state: string): HTMLElement {
  return h('span', { class: `badge ${state.toLowerCase().replace(/[^a-z_]/g, '_')}` }, state);
}

export function tags(list: readonly string[]): HTMLElement {
  return h('div', { class: 'tags' }, ...list.map((t) => h('span', { class: 'tag' }, t)));
}

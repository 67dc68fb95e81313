import type { LifecycleState } from '../../../../shared/db/schema.ts';

/** WSO2 API Manager's lifecycle: which states each state may move to. */
export const TRANSITIONS: Record<LifecycleState, readonly LifecycleState[]> = {
  CREATED: ['PUBLISHED', 'PRE-RELEASED'],
  'PRE-RELEASED': ['PUBLISHED', 'CREATED'],
  PUBLISHED: ['CREATED', 'PRE-RELEASED', 'BLOCKED', 'DEPRECATED'],
  BLOCKED: ['PUBLISHED', 'DEPRECATED'],
  DEPRECATED: ['RETIRED'],
  RETIRED: [],
};

export function allowedTransitions(state: LifecycleState): readonly LifecycleState[] {
  return TRANSITIONS[state];
}

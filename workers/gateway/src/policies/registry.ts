/**
 * Every policy the gateway can run, by name: the one place a new policy is registered. The control
 * plane checks a publisher's `policies: [{ name, config }]` against these config schemas, and the
 * gateway builds each snapshot's steps from them (compile.ts).
 *
 * A new policy is a folder `policies/<name>/` (index.ts with `definePolicy`, its test beside it)
 * and one line here.
 */
import { headerEdits } from './header-edits/index.ts';
import { mock } from './mock/index.ts';
import { requestValidation } from './request-validation/index.ts';
import { responseCache } from './response-cache/index.ts';
import { sizeLimits } from './size-limits/index.ts';
import { transform } from './transform/index.ts';
import type { Policy } from './step.ts';

export const POLICIES: ReadonlyMap<string, Policy> = new Map(
  [requestValidation, headerEdits, transform, sizeLimits, responseCache, mock].map((p) => [p.name, p]),
);

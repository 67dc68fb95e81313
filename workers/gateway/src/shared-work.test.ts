import { describe, expect, it } from 'vitest';
import { outlivesCallers } from './shared-work.ts';
import './index.ts';

describe('shared work', () => {
  it("is handed to the runtime's waitUntil once the Worker's entry module is loaded", () => {
    // Without it, a coalesced batch, a lease request or a snapshot reload would end with the
    // request that started it when that request's client goes away (decision 0063).
    expect(outlivesCallers()).toBe(true);
  });
});

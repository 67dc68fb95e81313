import { describe, expect, it } from 'vitest';
import { api, userWithRole, type ProblemBody } from '../../../../test/workers/control-plane-helpers.ts';
import { policyToLimits } from './limits.ts';

const policy = {
  name: 'Billed',
  quotaType: 'requestCount' as const,
  limit: 100,
  unitTime: 1,
  timeUnit: 'min' as const,
  burstLimit: 5,
  burstTimeUnit: 'sec' as const,
};

describe('stopOnQuotaReach', () => {
  it("off, compiles a subscription tier's quota (not its burst window) into a window that allows overage; on, into a window that refuses", () => {
    expect(policyToLimits({ ...policy, stopOnQuotaReach: false }, 'subscription')).toEqual([
      { policy: 'Billed', scope: 'subscription', limit: 100, windowSeconds: 60, allowOverage: true },
      { policy: 'Billed', scope: 'burst', limit: 5, windowSeconds: 1 },
    ]);
    expect(policyToLimits({ ...policy, stopOnQuotaReach: true }, 'subscription')[0]).not.toHaveProperty('allowOverage');
    expect(policyToLimits({ ...policy, stopOnQuotaReach: false }, 'application')[0]).not.toHaveProperty('allowOverage');
  });

  it('is refused with 400 on a policy kind where it would do nothing', async () => {
    const admin = await userWithRole('admin');
    const res = await api<ProblemBody>('POST', '/api/admin/v1/throttling-policies', admin, {
      kind: 'application',
      name: `NoOverage${Date.now()}`,
      limit: 10,
      stopOnQuotaReach: false,
    });
    expect(res.status).toBe(400);
    expect(res.body.errors?.map((e) => e.pointer)).toContain('/stopOnQuotaReach');
  });
});

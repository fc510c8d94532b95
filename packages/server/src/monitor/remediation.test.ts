import { describe, expect, it } from 'vitest';
import { ALERT_NAMES } from './alert-rules';
import { REMEDIATION_ACTIONS, REMEDIATION_FOR_ALERT, remediationPlan } from './remediation';

const ALL_ON = { purgeRateLimits: true, purgeStaleJobs: true, disconnectInactive: true, runGc: true };

describe('remediationPlan', () => {
  it('gives every alert at least one action', () => {
    for (const alert of ALERT_NAMES) expect(REMEDIATION_FOR_ALERT[alert].length).toBeGreaterThan(0);
  });

  it('runs each action once, in the fixed order, whatever alerts ask for it', () => {
    expect(remediationPlan(['processing-jobs', 'inactive-ratio', 'connections'], ALL_ON, true)).toEqual(['purgeRateLimits', 'purgeStaleJobs', 'disconnectInactive']);
    expect(remediationPlan(['heap'], ALL_ON, true)).toEqual([...REMEDIATION_ACTIONS]);
    expect(remediationPlan([], ALL_ON, true)).toEqual([]);
  });

  it('leaves out switched-off actions, and GC when the process does not expose it', () => {
    expect(remediationPlan(['heap'], { ...ALL_ON, disconnectInactive: false }, true)).toEqual(['purgeRateLimits', 'purgeStaleJobs', 'runGc']);
    expect(remediationPlan(['heap'], ALL_ON, false)).toEqual(['purgeRateLimits', 'purgeStaleJobs', 'disconnectInactive']);
  });
});

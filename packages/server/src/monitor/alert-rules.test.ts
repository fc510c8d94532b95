import { describe, expect, it } from 'vitest';
import { evaluateAlerts, type AlertInputs } from './alert-rules';

const SPEC_THRESHOLDS = { maxConnections: 1000, heapGrowthRatio: 1.5, maxInactiveRatio: 0.4, maxProcessingJobs: 100 };
const CALM: AlertInputs = { connections: 1000, heapUsedBytes: 150, heapBaselineBytes: 100, inactiveRatio: 0.4, processingJobs: 100 };

describe('evaluateAlerts', () => {
  it('does not fire at exactly the SPEC §2 thresholds', () => {
    expect(evaluateAlerts(CALM, SPEC_THRESHOLDS).filter((reading) => reading.breached)).toEqual([]);
  });

  it('fires each rule just above its threshold, with the numbers', () => {
    const readings = evaluateAlerts({ connections: 1001, heapUsedBytes: 151, heapBaselineBytes: 100, inactiveRatio: 0.41, processingJobs: 101 }, SPEC_THRESHOLDS);
    expect(readings).toEqual([
      { name: 'connections', value: 1001, threshold: 1000, breached: true },
      { name: 'heap', value: 151, threshold: 150, breached: true },
      { name: 'inactive-ratio', value: 0.41, threshold: 0.4, breached: true },
      { name: 'processing-jobs', value: 101, threshold: 100, breached: true },
    ]);
  });

  it('measures heap growth against the baseline it is given', () => {
    const [, heap] = evaluateAlerts({ ...CALM, heapUsedBytes: 400, heapBaselineBytes: 200 }, { ...SPEC_THRESHOLDS, heapGrowthRatio: 2 });
    expect(heap).toEqual({ name: 'heap', value: 400, threshold: 400, breached: false });
  });
});

import { describe, expect, it } from 'vitest';
import type { AlertReading } from './alert-rules';
import { AlertTracker } from './alert-tracker';

const connections = (value: number): AlertReading => ({ name: 'connections', value, threshold: 10, breached: value > 10 });

describe('AlertTracker', () => {
  it('raises an alert once, keeps its value current while it holds, and clears it once', () => {
    const tracker = new AlertTracker();
    expect(tracker.update([connections(11)], 1000)).toEqual({ raised: [{ name: 'connections', value: 11, threshold: 10, since: 1000 }], cleared: [] });
    expect(tracker.update([connections(15)], 2000)).toEqual({ raised: [], cleared: [] });
    expect(tracker.active()).toEqual([{ name: 'connections', value: 15, threshold: 10, since: 1000 }]);
    expect(tracker.update([connections(3)], 3000)).toEqual({
      raised: [],
      cleared: [{ name: 'connections', value: 3, threshold: 10, since: 1000, clearedAt: 3000 }],
    });
    expect(tracker.update([connections(4)], 4000)).toEqual({ raised: [], cleared: [] });
    expect(tracker.names()).toEqual([]);
  });

  it('starts a new episode when the condition comes back', () => {
    const tracker = new AlertTracker();
    tracker.update([connections(11)], 1000);
    tracker.update([connections(1)], 2000);
    expect(tracker.update([connections(12)], 3000).raised).toEqual([{ name: 'connections', value: 12, threshold: 10, since: 3000 }]);
  });

  it('hands out copies that do not change the alerts in force', () => {
    const tracker = new AlertTracker();
    tracker.update([connections(11)], 1000);
    const [copy] = tracker.active();
    if (copy) copy.value = 0;
    expect(tracker.active()[0]?.value).toBe(11);
  });
});

import { describe, expect, it } from 'vitest';
import type { StatsReply, StatsSample } from '../api-schemas';
import { StatsHistory } from './stats-history';

const sample = (at: number): StatsSample => ({ at, connections: 1, heapUsedBytes: 1e6, processingJobs: 0, subscriptions: 0, alerts: [] });
const reply = (serverStartedAt: number, ats: number[]): StatsReply => ({
  serverStartedAt,
  samples: ats.map(sample),
  activeAlerts: [],
  counters: { heartbeatTimeouts: 0, noticesSent: 0, rateLimited: 0 },
});

describe('StatsHistory', () => {
  it('adds only the samples newer than the ones it has, from replies that overlap', () => {
    const history = new StatsHistory(10);
    history.add(reply(100, [1000, 2000]));
    history.add(reply(100, [1000, 2000, 3000]));
    expect(history.samples.map((s) => s.at)).toEqual([1000, 2000, 3000]);
    expect(history.restarts).toEqual([]);
  });

  it('keeps the samples of the server before a restart and records when the new one started', () => {
    const history = new StatsHistory(10);
    history.add(reply(100, [1000, 2000, 3000]));
    // The restarted server's monitor knows only its own first sample.
    history.add(reply(3500, [4000]));
    expect(history.samples.map((s) => s.at)).toEqual([1000, 2000, 3000, 4000]);
    expect(history.restarts).toEqual([3500]);
  });

  it('keeps at most `size` samples, and forgets a restart once every sample before it is gone', () => {
    const history = new StatsHistory(3);
    history.add(reply(100, [1000, 2000]));
    history.add(reply(2500, [3000]));
    history.add(reply(2500, [3000, 4000]));
    expect(history.samples.map((s) => s.at)).toEqual([2000, 3000, 4000]);
    expect(history.restarts).toEqual([2500]);
    // The last sample of the first server is gone: nothing on the chart is from before the restart any more.
    history.add(reply(2500, [3000, 4000, 5000]));
    expect(history.samples.map((s) => s.at)).toEqual([3000, 4000, 5000]);
    expect(history.restarts).toEqual([]);
  });
});

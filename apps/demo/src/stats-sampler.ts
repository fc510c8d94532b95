import type { JobServer } from '@org/ws-server';
import type { StatsSample } from './api-schemas';

/** Samples the job server on one timer and keeps a bounded history, oldest first (the memory monitor's `history()` shape). */
export interface StatsSampler {
  /** Takes a sample now. */
  sample(): StatsSample;
  /** Samples so far, oldest first, at most `historySize`. */
  history(): readonly StatsSample[];
  /** Stops the timer. */
  close(): void;
}

/** Starts sampling `server` every `intervalMs`; a sample raises the `max-processing-jobs` alert above `maxProcessingJobs`. */
export function createStatsSampler(options: { server: JobServer; processingJobs: () => number; intervalMs: number; historySize: number; maxProcessingJobs: number }): StatsSampler {
  const samples: StatsSample[] = [];
  const sample = (): StatsSample => {
    const stats = options.server.stats();
    const processingJobs = options.processingJobs();
    const taken: StatsSample = {
      at: Date.now(),
      connections: stats.connections,
      heapUsedBytes: process.memoryUsage().heapUsed,
      processingJobs,
      subscriptions: stats.subscriptions,
      alerts: processingJobs > options.maxProcessingJobs ? ['max-processing-jobs'] : [],
    };
    samples.push(taken);
    if (samples.length > options.historySize) samples.shift();
    return taken;
  };
  const timer = setInterval(sample, options.intervalMs);
  sample();
  return { sample, history: () => samples, close: () => clearInterval(timer) };
}

import { ErrorCode, JobProtocolError, type JobUpdateInput } from '@org/ws-protocol';

/** Publishes one update of a job; `JobServer.update` has this shape. */
export type PublishUpdate = (jobId: string, input: JobUpdateInput) => Promise<unknown>;

/** Options of {@link createJobSimulator}. */
export interface JobSimulatorOptions {
  /** Where updates go, e.g. `(id, input) => jobServer.update(id, input)`. */
  publish: PublishUpdate;
  /** Average pause between two updates of a job. @default 600 */
  stepMs?: number;
  /** Progress steps of a job that completes. @default 10 */
  steps?: number;
  /** Share of jobs that end `failed` instead of `completed`, 0–1. @default 0.2 */
  failureRate?: number;
  /** Pause before publishing an update again after the server refused it (e.g. during a restart). @default 500 */
  retryMs?: number;
  /** Jobs running at once; `start` refuses more. @default 200 */
  maxActiveJobs?: number;
  /** Random source for pacing and failures; inject a fixed one in tests. @default Math.random */
  random?: () => number;
}

/** Every default of {@link JobSimulatorOptions}. */
export const JOB_SIMULATOR_DEFAULTS = {
  stepMs: 600,
  steps: 10,
  failureRate: 0.2,
  retryMs: 500,
  maxActiveJobs: 200,
} as const;

/** Simulated workers: each job publishes `queued`, `running` steps, then `completed` or `failed`. */
export interface JobSimulator {
  /** Starts `count` jobs and returns their ids; throws {@link SimulatorFullError} past `maxActiveJobs`. */
  start(count: number): string[];
  /** Jobs that have not published their terminal update yet. */
  readonly activeJobs: number;
  /** Stops every job where it is and clears every timer. Idempotent. */
  close(): void;
}

/** `start` was asked for more jobs than `maxActiveJobs` allows. */
export class SimulatorFullError extends Error {
  override name = 'SimulatorFullError';
}

/** The plan of one job: the updates it will publish, in order. */
function planJob(steps: number, fails: boolean, random: () => number): JobUpdateInput[] {
  const plan: JobUpdateInput[] = [{ status: 'queued', progress: 0 }];
  const failAt = fails ? 1 + Math.floor(random() * steps) : steps + 1;
  for (let step = 1; step <= steps && step < failAt; step += 1) {
    plan.push({ status: 'running', progress: Math.round((100 * step) / (steps + 1)) });
  }
  const last = plan.at(-1)?.progress ?? 0;
  plan.push(
    fails
      ? { status: 'failed', progress: last, data: { error: 'simulated failure', step: failAt } }
      : { status: 'completed', progress: 100, data: { result: `report-${Math.floor(random() * 1e6)}.csv` } },
  );
  return plan;
}

/**
 * Creates simulated workers that publish through `publish` only, so they run against any job server.
 * A refused update is published again after `retryMs`, which carries jobs across a server restart.
 * @example
 * const simulator = createJobSimulator({ publish: (id, input) => server.update(id, input) });
 * const [jobId] = simulator.start(1);
 */
export function createJobSimulator(options: JobSimulatorOptions): JobSimulator {
  const stepMs = options.stepMs ?? JOB_SIMULATOR_DEFAULTS.stepMs;
  const steps = options.steps ?? JOB_SIMULATOR_DEFAULTS.steps;
  const failureRate = options.failureRate ?? JOB_SIMULATOR_DEFAULTS.failureRate;
  const retryMs = options.retryMs ?? JOB_SIMULATOR_DEFAULTS.retryMs;
  const maxActiveJobs = options.maxActiveJobs ?? JOB_SIMULATOR_DEFAULTS.maxActiveJobs;
  const random = options.random ?? Math.random;
  // Ids stay unique across restarts of the demo process, so a page never mixes two lives of one id.
  const run = Date.now().toString(36);
  let counter = 0;
  let closed = false;
  /** Jobs still to publish something, with the timer of their next update (if one is scheduled). */
  const active = new Map<string, ReturnType<typeof setTimeout> | undefined>();

  const later = (jobId: string, delayMs: number, plan: JobUpdateInput[], index: number): void => {
    active.set(
      jobId,
      setTimeout(() => advance(jobId, plan, index), Math.round(delayMs)),
    );
  };

  const advance = (jobId: string, plan: JobUpdateInput[], index: number): void => {
    const input = plan[index];
    if (closed || !input) return;
    active.set(jobId, undefined);
    Promise.resolve()
      .then(() => options.publish(jobId, input))
      .then(
      () => {
        if (closed) return;
        if (index === plan.length - 1) {
          active.delete(jobId);
          return;
        }
        // Queued jobs wait a little longer, as real queues do; steps vary ±50 %.
        later(jobId, input.status === 'queued' ? stepMs * (1 + random()) : stepMs * (0.5 + random()), plan, index + 1);
      },
      (error: unknown) => {
        if (closed) return;
        // INVALID_PAYLOAD means the store will never take this update (e.g. the job already ended).
        if (error instanceof JobProtocolError && error.code === ErrorCode.INVALID_PAYLOAD) {
          active.delete(jobId);
          return;
        }
        later(jobId, retryMs, plan, index);
      },
    );
  };

  return {
    start(count) {
      if (closed) throw new SimulatorFullError('the job simulator is closed');
      if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
      if (active.size + count > maxActiveJobs) {
        throw new SimulatorFullError(`at most ${maxActiveJobs} simulated jobs run at once (${active.size} running)`);
      }
      const ids: string[] = [];
      for (let i = 0; i < count; i += 1) {
        counter += 1;
        const jobId = `job-${run}-${counter}`;
        ids.push(jobId);
        advance(jobId, planJob(steps, random() < failureRate, random), 0);
      }
      return ids;
    },
    get activeJobs() {
      return active.size;
    },
    close() {
      closed = true;
      for (const timer of active.values()) clearTimeout(timer);
      active.clear();
    },
  };
}

import { ErrorCode, JobIdSchema, JobProtocolError, protocolError, type JobUpdate, type JobUpdateInput } from '@org/ws-protocol';
import type { ServerPhase } from '../lifecycle/server-phase';
import type { JobStore } from './job-store';
import type { UpdateFanout } from './update-fanout';
import { storeFailure } from './store-failure';
import { parseUpdateRequest } from './update-request';

/** What publishing and reading jobs needs from the server. */
export interface JobUpdatesDeps {
  phase: ServerPhase;
  now: () => number;
  store: JobStore;
  fanout: UpdateFanout;
  onStoreResult: (ok: boolean) => void;
}

/** Owns the application's side of jobs: `update` (validate, store with `seq`, fan out) and `getJob`. */
export class JobUpdates {
  readonly #deps: JobUpdatesDeps;

  constructor(deps: JobUpdatesDeps) {
    this.#deps = deps;
  }

  /** See `JobServer.update`. */
  async update(jobId: string, input: JobUpdateInput): Promise<JobUpdate> {
    const { phase, now, store, fanout, onStoreResult } = this.#deps;
    // Still accepted while closing, until the store closes: with a shared store, other processes keep serving these jobs.
    if (phase.backendsClosing) throw new JobProtocolError(protocolError(ErrorCode.SHUTTING_DOWN, 'the job server is closed'));
    const request = parseUpdateRequest(jobId, input);
    let update: JobUpdate;
    try {
      update = await store.append(request.jobId, request.input, now());
      onStoreResult(true);
    } catch (error) {
      if (!(error instanceof JobProtocolError)) onStoreResult(false);
      throw storeFailure(error);
    }
    fanout.publish(update);
    return update;
  }

  /** See `JobServer.getJob`. */
  async getJob(jobId: string): Promise<JobUpdate | null> {
    if (!JobIdSchema.safeParse(jobId).success) return null;
    const { store, onStoreResult } = this.#deps;
    let job: JobUpdate | null;
    try {
      job = await store.get(jobId);
    } catch (error) {
      // A read that fails says as much about the store as a write does (health: `store-unavailable`).
      if (!(error instanceof JobProtocolError)) onStoreResult(false);
      throw storeFailure(error);
    }
    onStoreResult(true);
    return job;
  }
}

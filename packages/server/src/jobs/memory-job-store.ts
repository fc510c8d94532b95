import { ErrorCode, JOB_STATUSES, isTerminal, JobProtocolError, protocolError, type JobUpdate, type JobUpdateInput, type JsonValue } from '@org/ws-protocol';
import type { ExpiredJob, ExpiryRule, JobReplay, JobStatusCounts, JobStore } from './job-store';
import { newEpoch } from './job-epoch';
import { checkHistoryLimit } from './history-limits';
import { replayWindow } from './replay-window';

interface JobRecord {
  snapshot: JobUpdate;
  /** Recent updates, oldest first, at most `bufferSize`. */
  buffer: JobUpdate[];
}

/** Options of `MemoryJobStore`. */
export interface MemoryJobStoreOptions {
  /** Recent updates kept per job (1-1000: a replay holds at most 1000). @default 100 */
  bufferSize?: number | undefined;
}

/** Freezes a JSON value and everything in it; returns it. */
function freezeJson(value: JsonValue): JsonValue {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) freezeJson(item);
    Object.freeze(value);
  }
  return value;
}

/**
 * The default `JobStore`: one process, plain maps, nothing to install. It keeps a copy of each update's `data`; the
 * updates it resolves are the ones it keeps, frozen (deeply), so that no reader can change the job for the others.
 */
export class MemoryJobStore implements JobStore {
  readonly #jobs = new Map<string, JobRecord>();
  readonly #bufferSize: number;

  /** @throws RangeError when `bufferSize` is not a whole number from 1 to 1000. */
  constructor(options: MemoryJobStoreOptions = {}) {
    checkHistoryLimit('bufferSize', options.bufferSize);
    this.#bufferSize = options.bufferSize ?? 100;
  }

  async append(jobId: string, input: JobUpdateInput, at: number): Promise<JobUpdate> {
    const record = this.#jobs.get(jobId);
    if (record && isTerminal(record.snapshot.status)) {
      throw new JobProtocolError(protocolError(ErrorCode.INVALID_PAYLOAD, `job ${jobId} already ended with status ${record.snapshot.status}`));
    }
    // A job without a record starts a new history (its first update, or an id used again after it was dropped).
    const update: JobUpdate = { jobId, epoch: record?.snapshot.epoch ?? newEpoch(), seq: (record?.snapshot.seq ?? 0) + 1, status: input.status, at };
    if (input.progress !== undefined) update.progress = input.progress;
    // Its own copy (the data is JSON): what it keeps is what was published, whatever the caller does with its object next.
    if (input.data !== undefined) update.data = freezeJson(JSON.parse(JSON.stringify(input.data)) as JsonValue);
    // Frozen, as what it resolves is what it keeps: changing it would change the job for every later reader.
    Object.freeze(update);
    if (record) {
      record.snapshot = update;
      record.buffer.push(update);
      if (record.buffer.length > this.#bufferSize) record.buffer.shift();
    } else {
      this.#jobs.set(jobId, { snapshot: update, buffer: [update] });
    }
    return update;
  }

  async get(jobId: string): Promise<JobUpdate | null> {
    return this.#jobs.get(jobId)?.snapshot ?? null;
  }

  async replay(jobId: string, lastSeq: number | undefined): Promise<JobReplay> {
    return this.replayNow(jobId, lastSeq);
  }

  /** What `replay` resolves, answered synchronously. */
  replayNow(jobId: string, lastSeq: number | undefined): JobReplay {
    const record = this.#jobs.get(jobId);
    return replayWindow(record?.snapshot ?? null, record?.buffer ?? [], lastSeq);
  }

  async delete(jobId: string, expectedSeq?: number): Promise<boolean> {
    const record = this.#jobs.get(jobId);
    if (!record || (expectedSeq !== undefined && record.snapshot.seq !== expectedSeq)) return false;
    return this.#jobs.delete(jobId);
  }

  async findExpired({ now, staleJobMs, finishedJobRetentionMs, limit = Infinity, keep }: ExpiryRule): Promise<ExpiredJob[]> {
    const expired: ExpiredJob[] = [];
    const found = { stale: 0, finished: 0 };
    for (const [jobId, { snapshot }] of this.#jobs) {
      const kind = isTerminal(snapshot.status) ? 'finished' : 'stale';
      if (found[kind] >= limit || now - snapshot.at < (kind === 'finished' ? finishedJobRetentionMs : staleJobMs)) continue;
      if (kind === 'finished' && keep?.(jobId)) continue;
      found[kind] += 1;
      expired.push({ jobId, lastSeq: snapshot.seq, kind });
    }
    return expired;
  }

  size(): number {
    return this.#jobs.size;
  }

  countByStatus(): JobStatusCounts {
    const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as JobStatusCounts;
    for (const { snapshot } of this.#jobs.values()) counts[snapshot.status] += 1;
    return counts;
  }

  async close(): Promise<void> {
    this.#jobs.clear();
  }
}

/**
 * `replayNow` of a store that is a `MemoryJobStore` as it ships, bound to it; `undefined` for any other store, a
 * subclass (it may change what `replay` answers) or an instance whose `replay` was replaced.
 */
export function synchronousReplay(store: JobStore): ((jobId: string, lastSeq: number | undefined) => JobReplay) | undefined {
  if (Object.getPrototypeOf(store) !== MemoryJobStore.prototype || Object.hasOwn(store, 'replay')) return undefined;
  const memory = store as MemoryJobStore;
  return (jobId, lastSeq) => memory.replayNow(jobId, lastSeq);
}

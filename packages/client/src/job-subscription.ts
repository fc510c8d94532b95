import {
  isTerminal,
  MAX_REPLAY_UPDATES,
  type JobExpired,
  type JobStatus,
  type JobUpdate,
  type SubscribeJobOk,
} from '@org/ws-protocol';
import type { JobClientError } from './errors';
import { EventEmitter } from './event-emitter';
import type { JobOutcome } from './job-outcome';

/** Listener receiving a job's snapshot first, then each update in `seq` order, never twice. */
export type JobUpdateListener = (update: JobUpdate) => void;

/** Events of a {@link JobSubscription}. */
export interface JobSubscriptionEvents {
  /** The snapshot, then every later update in `seq` order. */
  update: JobUpdateListener;
  /** The subscription ended (terminal update, expiry or error); fires once. */
  end: (outcome: JobOutcome) => void;
}

/** One handle on a watched job; many handles on one job share a single server subscription. */
export interface JobSubscription {
  /** The watched job. */
  readonly jobId: string;
  /** Latest update this handle has received, or `null` before the first. */
  readonly snapshot: JobUpdate | null;
  /** Status of {@link snapshot}, or `undefined` before the first update. */
  readonly status: JobStatus | undefined;
  /** How the subscription ended, once it has. */
  readonly outcome: JobOutcome | undefined;
  /** Adds a listener; returns the function that removes it. */
  on<E extends 'update' | 'end'>(event: E, listener: JobSubscriptionEvents[E]): () => void;
  /** Stops this handle; the last handle of a job ends the server subscription. Idempotent. */
  unsubscribe(): void;
}

/** Per-handle delivery: each handle sees strictly increasing `seq` and one outcome, whatever it joined late or not. */
class SubscriptionHandle implements JobSubscription {
  snapshot: JobUpdate | null = null;
  outcome: JobOutcome | undefined;
  private closed = false;
  private readonly events = new EventEmitter<JobSubscriptionEvents>();

  constructor(
    readonly jobId: string,
    private readonly release: (handle: SubscriptionHandle) => void,
  ) {}

  get status(): JobStatus | undefined {
    return this.snapshot?.status;
  }

  on<E extends 'update' | 'end'>(event: E, listener: JobSubscriptionEvents[E]): () => void {
    return this.events.on(event, listener);
  }

  unsubscribe(): void {
    if (this.closed) return;
    this.closed = true;
    this.events.clear();
    this.release(this);
  }

  /** Highest `seq` this handle received in the job's current history. */
  private seenSeq = 0;

  deliver(update: JobUpdate): void {
    if (this.closed || this.outcome || update.seq <= this.seenSeq) return;
    this.seenSeq = update.seq;
    this.snapshot = update;
    this.events.emit('update', update);
  }

  /** The server's history of the job restarted (it lost its state): count `seq` from zero again. */
  restartHistory(): void {
    this.seenSeq = 0;
  }

  end(outcome: JobOutcome): void {
    if (this.closed || this.outcome) return;
    this.outcome = outcome;
    this.events.emit('end', outcome);
  }
}

/** What {@link JobSubscriptionState.applyAck} made of a `subscribe-job` reply. */
export type AckResult = 'synced' | 'gap' | 'gone';

/** What {@link JobSubscriptionState.applyUpdate} did with a live update. */
export type LiveUpdateResult = 'applied' | 'buffered' | 'dropped' | 'gap';

/**
 * Client-side state of one watched job: `lastSeq`, snapshot, handles, ordering and de-duplication.
 * Updates are delivered in `seq` order; older or repeated ones are dropped; a terminal update ends it once.
 */
export class JobSubscriptionState {
  /** Highest `seq` delivered; 0 before any. */
  lastSeq = 0;
  /** Latest delivered update. */
  snapshot: JobUpdate | null = null;
  /** Set once the job ended; nothing is delivered after it. */
  outcome: JobOutcome | undefined;
  /** Whether the current connection's `subscribe-job` reply has been applied. */
  synced = false;
  /** Live updates that arrived before the reply or after a gap, sorted by `seq`. */
  private pending: JobUpdate[] = [];
  private readonly handles = new Set<SubscriptionHandle>();

  constructor(
    readonly jobId: string,
    private readonly onLastHandleGone: (state: JobSubscriptionState) => void,
  ) {}

  /** Number of live handles. */
  get handleCount(): number {
    return this.handles.size;
  }

  /** Adds a handle; a late joiner gets the current snapshot (and outcome) on the next microtask. */
  addHandle(listener?: JobUpdateListener): JobSubscription {
    const handle = new SubscriptionHandle(this.jobId, (gone) => {
      this.handles.delete(gone);
      if (this.handles.size === 0) this.onLastHandleGone(this);
    });
    if (listener) handle.on('update', listener);
    this.handles.add(handle);
    if (this.snapshot || this.outcome) {
      queueMicrotask(() => {
        if (this.snapshot) handle.deliver(this.snapshot);
        if (this.outcome) handle.end(this.outcome);
      });
    }
    return handle;
  }

  /** Marks the state as waiting for a new `subscribe-job` reply (new connection or recovery). */
  beginSync(): void {
    this.synced = false;
  }

  /**
   * Applies a `subscribe-job` reply: replayed updates, or on resync (or first subscribe) the snapshot.
   * Returns whether a gap remains, or `gone` when the server no longer has a job we had seen updates of:
   * the subscription then ends `expired` with reason `gone`.
   */
  applyAck(ack: SubscribeJobOk): AckResult {
    if (this.outcome) return 'synced';
    if (ack.snapshot === null && this.lastSeq > 0) {
      this.finish({ kind: 'expired', reason: 'gone', lastSeq: this.lastSeq });
      return 'gone';
    }
    if (ack.resync && ack.snapshot !== null && ack.snapshot.seq < this.lastSeq) this.restartHistory();
    if (!ack.resync && this.lastSeq > 0) {
      for (const update of [...ack.updates].sort((a, b) => a.seq - b.seq)) this.accept(update);
    }
    if (ack.snapshot) this.accept(ack.snapshot);
    this.synced = true;
    return this.drain() ? 'synced' : 'gap';
  }

  /** Applies a live `job-update`. A `gap` result means updates are missing: resubscribe with {@link lastSeq}. */
  applyUpdate(update: JobUpdate): LiveUpdateResult {
    if (this.outcome || update.seq <= this.lastSeq) return 'dropped';
    if (!this.synced) {
      this.buffer(update);
      return 'buffered';
    }
    if (update.seq !== this.lastSeq + 1) {
      this.buffer(update);
      this.synced = false;
      return 'gap';
    }
    this.accept(update);
    this.drain();
    return 'applied';
  }

  /** Ends the job as dropped by the server (its `job-expired` notice). */
  expire(notice: JobExpired): void {
    this.finish({ kind: 'expired', reason: notice.reason, lastSeq: notice.lastSeq });
  }

  /** Ends the job with an error. */
  fail(error: JobClientError): void {
    this.finish({ kind: 'error', error });
  }

  /**
   * A resync whose snapshot is older than what we delivered means the server lost the job's history (e.g. an
   * in-memory server restarted) and the job id started a new life: count from zero again.
   */
  private restartHistory(): void {
    this.lastSeq = 0;
    this.pending = [];
    for (const handle of this.handles) handle.restartHistory();
  }

  private accept(update: JobUpdate): void {
    if (this.outcome || update.seq <= this.lastSeq) return;
    this.lastSeq = update.seq;
    this.snapshot = update;
    for (const handle of [...this.handles]) handle.deliver(update);
    if (isTerminal(update.status)) this.finish({ kind: 'terminal', update });
  }

  /** Delivers buffered updates that now follow on; returns false when a gap is left. */
  private drain(): boolean {
    while (this.pending.length > 0 && !this.outcome) {
      const next = this.pending[0]!;
      if (next.seq <= this.lastSeq) {
        this.pending.shift();
      } else if (next.seq === this.lastSeq + 1) {
        this.pending.shift();
        this.accept(next);
      } else {
        return false;
      }
    }
    return true;
  }

  private buffer(update: JobUpdate): void {
    if (this.pending.some((held) => held.seq === update.seq)) return;
    // Beyond the bound the update is dropped; recovery by lastSeq (or a resync) fetches it again.
    if (this.pending.length >= MAX_REPLAY_UPDATES) return;
    this.pending.push(update);
    this.pending.sort((a, b) => a.seq - b.seq);
  }

  private finish(outcome: JobOutcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    this.pending = [];
    for (const handle of [...this.handles]) handle.end(outcome);
  }
}

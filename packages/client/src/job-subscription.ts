import {
  isTerminal,
  MAX_REPLAY_UPDATES,
  type JobExpired,
  type JobStatus,
  type JobUpdate,
  type SubscribeJobOk,
} from '@org/ws-protocol';
import { JobClientError } from './errors';
import { EventEmitter } from './event-emitter';
import type { JobDataCheck } from './job-data-check';
import type { JobOutcome } from './job-outcome';
import type { JobResumePoint } from './resume-point';

/** Listener receiving a job's snapshot first, then each update in `seq` order, never twice; `U` is the update type (typed `data`). */
export type JobUpdateListener<U = JobUpdate> = (update: U) => void;

/**
 * Why a subscription's history was resynchronised: `epoch-changed`, the server's history of the job was replaced (its
 * store lost its data, or the job id started again) and `seq` counts anew from the snapshot that follows;
 * `updates-skipped`, the server no longer had every update the client missed, so `seq` jumps to the snapshot;
 * `history-rewound`, the same epoch but the server's history is behind what the client saw (its store came back from
 * an older copy), so `seq` counts on from the lower snapshot that follows, and later `seq`s may carry other updates.
 */
export type JobResyncReason = 'epoch-changed' | 'updates-skipped' | 'history-rewound';

/** Payload of a subscription's `resync` event; the `update` listener receives the new snapshot right after it. */
export interface JobResync {
  /** Why the history was resynchronised. */
  readonly reason: JobResyncReason;
  /** The epoch the client held before, or `undefined` when it had seen no update. */
  readonly previousEpoch: string | undefined;
  /** The epoch of the snapshot that follows. */
  readonly epoch: string;
  /** The last `seq` the client had delivered before. */
  readonly previousSeq: number;
}

/** Events of a {@link JobSubscription}; `U` is the update type (typed `data`). */
export interface JobSubscriptionEvents<U = JobUpdate> {
  /** The snapshot, then every later update in `seq` order (counted anew after a `resync` with `epoch-changed`). */
  update: JobUpdateListener<U>;
  /** The job's history was replaced or skipped ahead; the next `update` is its snapshot. */
  resync: (resync: JobResync) => void;
  /** The subscription ended (terminal update, expiry or error); fires once. A listener added after the end hears it on the next microtask. */
  end: (outcome: JobOutcome<U>) => void;
  /**
   * An update's `data` failed the subscription's `data` schema (`INVALID_DATA`, carrying the update): it is not passed
   * to `update` listeners; a terminal one ends the subscription with this error. Also reported on the client's `error`.
   */
  error: (error: JobClientError) => void;
}

/** One handle on a watched job; many handles on one job share a single server subscription. `U` is the update type (typed `data`). */
export interface JobSubscription<U = JobUpdate> {
  /** The watched job. */
  readonly jobId: string;
  /** Latest update this handle has received, or `null` before the first. */
  readonly snapshot: U | null;
  /** Status of {@link snapshot}, or `undefined` before the first update. */
  readonly status: JobStatus | undefined;
  /** How the subscription ended, once it has. */
  readonly outcome: JobOutcome<U> | undefined;
  /** Adds a listener; returns the function that removes it. */
  on<E extends keyof JobSubscriptionEvents<U>>(event: E, listener: JobSubscriptionEvents<U>[E]): () => void;
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
    private readonly check: JobDataCheck | undefined,
  ) {}

  get status(): JobStatus | undefined {
    return this.snapshot?.status;
  }

  on<E extends keyof JobSubscriptionEvents>(event: E, listener: JobSubscriptionEvents[E]): () => void {
    const { outcome } = this;
    if (event !== 'end' || outcome === undefined || this.closed) return this.events.on(event, listener);
    // Ended already (e.g. the client was closed by one of its own listeners while `subscribe()` ran): an `end` listener
    // added now still hears it once, on the next microtask, unless it is removed first.
    let removed = false;
    queueMicrotask(() => {
      if (!removed && !this.closed) (listener as JobSubscriptionEvents['end'])(outcome);
    });
    return () => {
      removed = true;
    };
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
    const checked = this.check ? this.check(update) : update;
    if (checked instanceof JobClientError) {
      this.events.emit('error', checked);
      return;
    }
    this.snapshot = checked;
    this.events.emit('update', checked);
  }

  /** The job's history was resynchronised: tell the listeners, and count `seq` from zero again unless it only skipped ahead. */
  resync(resync: JobResync): void {
    if (this.closed || this.outcome) return;
    if (resync.reason !== 'updates-skipped') this.seenSeq = 0;
    this.events.emit('resync', resync);
  }

  end(outcome: JobOutcome): void {
    if (this.closed || this.outcome) return;
    // A handle opened by a listener of the terminal update itself joined after that update went out: it gets it first.
    if (outcome.kind === 'terminal') this.deliver(outcome.update);
    if (this.closed || this.outcome) return;
    this.outcome = this.check && outcome.kind === 'terminal' ? this.checkedTerminal(outcome.update, this.check) : outcome;
    this.events.emit('end', this.outcome);
  }

  /** The terminal outcome as this handle's schema sees it: with the checked update it delivered, or `INVALID_DATA`. */
  private checkedTerminal(update: JobUpdate, check: JobDataCheck): JobOutcome {
    const delivered = this.snapshot?.seq === update.seq && this.snapshot.epoch === update.epoch ? this.snapshot : check(update);
    return delivered instanceof JobClientError ? { kind: 'error', error: delivered } : { kind: 'terminal', update: delivered };
  }
}

/** What {@link JobSubscriptionState.applyAck} made of a `subscribe-job` reply. */
export type AckResult = 'synced' | 'gap' | 'gone';

/** Most replaced epochs a job remembers, to drop late updates of a history it left. */
const MAX_RETIRED_EPOCHS = 8;

/** What {@link JobSubscriptionState.applyUpdate} did with a live update. */
export type LiveUpdateResult = 'applied' | 'buffered' | 'dropped' | 'gap';

/**
 * Client-side state of one watched job: `lastSeq`, snapshot, handles, ordering and de-duplication.
 * Updates are delivered in `seq` order; older or repeated ones are dropped; a terminal update ends it once.
 */
export class JobSubscriptionState {
  /** Highest `seq` delivered in {@link epoch}; 0 before any. */
  lastSeq = 0;
  /** Epoch of the history being followed; `undefined` before the first update. */
  epoch: string | undefined;
  /** Epochs this job left for a newer history; their updates are dropped. */
  private readonly retiredEpochs: string[] = [];
  /** Latest delivered update. */
  snapshot: JobUpdate | null = null;
  /** Set once the job ended; nothing is delivered after it. */
  outcome: JobOutcome | undefined;
  /** Whether the current connection's `subscribe-job` reply has been applied. */
  synced = false;
  /** Live updates that arrived before the reply or after a gap, sorted by `seq`. */
  private pending: JobUpdate[] = [];
  /** The updates {@link pending} held when the `subscribe-job` awaiting its reply was sent: its reply is newer than they are. */
  private heldAtRequest: readonly JobUpdate[] = [];
  private readonly handles = new Set<SubscriptionHandle>();

  constructor(
    readonly jobId: string,
    private readonly onLastHandleGone: (state: JobSubscriptionState) => void,
  ) {}

  /** Number of live handles. */
  get handleCount(): number {
    return this.handles.size;
  }

  /** Adds a handle (checking `data` with `check`, when given); a late joiner gets the current snapshot (and outcome) on the next microtask. */
  addHandle(listener?: JobUpdateListener, check?: JobDataCheck): JobSubscription {
    const handle = new SubscriptionHandle(
      this.jobId,
      (gone) => {
        this.handles.delete(gone);
        if (this.handles.size === 0) this.onLastHandleGone(this);
      },
      check,
    );
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

  /**
   * Goes on from `point`, the last update a caller saw of the job, before the first `subscribe-job`: it asks for what
   * came after (`lastSeq`, `epoch`) as after a reconnect, and delivers nothing up to it.
   */
  resumeFrom(point: JobResumePoint): void {
    this.epoch = point.epoch;
    this.lastSeq = point.seq;
  }

  /** Marks the state as waiting for a new `subscribe-job` reply (new connection or recovery). */
  beginSync(): void {
    this.synced = false;
  }

  /** A `subscribe-job` for the job is being sent now. */
  requestSent(): void {
    this.heldAtRequest = this.pending.length === 0 ? [] : [...this.pending];
  }

  /**
   * Applies a `subscribe-job` reply: replayed updates, or on resync (or first subscribe) the snapshot.
   * Returns whether a gap remains, or `gone` when the server no longer has a job we had seen updates of:
   * the subscription then ends `expired` with reason `gone`.
   */
  applyAck(ack: SubscribeJobOk): AckResult {
    if (this.outcome) return 'synced';
    if (ack.snapshot === null && (this.lastSeq > 0 || this.epoch !== undefined)) {
      if (this.deliverHeldTerminal()) return 'synced';
      this.finish({ kind: 'expired', reason: 'gone', lastSeq: this.lastSeq });
      return 'gone';
    }
    const snapshot = ack.snapshot;
    // An update of another history held since before the request: the reply, which is newer, names the current one.
    // (Held while no epoch was known yet, it would otherwise stand as a gap that no reply can fill.)
    const heldAtRequest = this.heldAtRequest;
    this.heldAtRequest = [];
    if (snapshot && heldAtRequest.length > 0) this.pending = this.pending.filter((held) => held.epoch === snapshot.epoch || !heldAtRequest.includes(held));
    if (snapshot && this.epoch !== undefined && snapshot.epoch !== this.epoch) {
      this.replaceHistory(snapshot.epoch);
    } else if (snapshot && ack.resync && snapshot.seq > this.lastSeq + 1 && this.lastSeq > 0) {
      this.announceResync({ reason: 'updates-skipped', previousEpoch: this.epoch, epoch: snapshot.epoch, previousSeq: this.lastSeq });
    } else if (snapshot && ack.resync && snapshot.seq < this.lastSeq) {
      // PROTOCOL.md section 5: take the snapshot even below lastSeq (a store that came back from an older copy).
      this.announceResync({ reason: 'history-rewound', previousEpoch: this.epoch, epoch: snapshot.epoch, previousSeq: this.lastSeq });
      this.lastSeq = 0;
    } else if (!ack.resync && this.lastSeq > 0) {
      for (const update of [...ack.updates].sort((a, b) => a.seq - b.seq)) this.accept(update);
    }
    if (snapshot) this.accept(snapshot);
    this.synced = true;
    return this.drain() ? 'synced' : 'gap';
  }

  /** Applies a live `job-update`. A `gap` result means updates are missing: resubscribe with {@link lastSeq}. */
  applyUpdate(update: JobUpdate): LiveUpdateResult {
    if (this.outcome || this.retiredEpochs.includes(update.epoch)) return 'dropped';
    if (this.epoch !== undefined && update.epoch !== this.epoch) {
      // Another history of the job (its store lost the one we follow): the resubscribe's reply brings its snapshot.
      this.synced = false;
      return 'gap';
    }
    if (!this.synced) {
      // Held even at or below lastSeq: a reply that rewinds the history (resync to a lower seq) makes them new again.
      this.buffer(update);
      return 'buffered';
    }
    if (update.seq <= this.lastSeq) return 'dropped';
    if (update.seq !== this.lastSeq + 1 && !update.conflated) {
      this.buffer(update);
      this.synced = false;
      return 'gap';
    }
    this.accept(update);
    this.drain();
    return 'applied';
  }

  /**
   * Applies the server's `job-expired`: ends the job, unless the server lost (`gone`) a job this client never saw an
   * update of; then nothing was lost and the job is `resubscribe`d, to keep waiting for its first update.
   */
  expire(notice: JobExpired): 'ended' | 'resubscribe' {
    if (notice.reason === 'gone' && this.epoch === undefined && this.lastSeq === 0) return 'resubscribe';
    if (this.deliverHeldTerminal()) return 'ended';
    this.finish({ kind: 'expired', reason: notice.reason, lastSeq: Math.max(notice.lastSeq, this.lastSeq) });
    return 'ended';
  }

  /** Ends the job with an error. */
  fail(error: JobClientError): void {
    this.finish({ kind: 'error', error });
  }

  /** The server's history of the job was replaced by the one of `epoch`: tell the handles, then count `seq` from zero. */
  private replaceHistory(epoch: string): void {
    const previousEpoch = this.epoch;
    this.announceResync({ reason: 'epoch-changed', previousEpoch, epoch, previousSeq: this.lastSeq });
    if (previousEpoch !== undefined) this.retiredEpochs.push(previousEpoch);
    if (this.retiredEpochs.length > MAX_RETIRED_EPOCHS) this.retiredEpochs.shift();
    this.epoch = epoch;
    this.lastSeq = 0;
    this.pending = this.pending.filter((held) => held.epoch === epoch);
  }

  /**
   * Delivers the terminal update held behind a gap that the server can no longer fill (it lost the job, or let it
   * expire): the job's outcome is known, so it ends with it (after an `updates-skipped` resync) rather than as expired.
   * False when no terminal update of the current history is held.
   */
  private deliverHeldTerminal(): boolean {
    const terminal = this.pending.find((held) => isTerminal(held.status) && (this.epoch === undefined || held.epoch === this.epoch) && held.seq > this.lastSeq);
    if (!terminal) return false;
    if (this.lastSeq > 0 && terminal.seq > this.lastSeq + 1) {
      this.announceResync({ reason: 'updates-skipped', previousEpoch: this.epoch, epoch: terminal.epoch, previousSeq: this.lastSeq });
    }
    this.accept(terminal);
    return true;
  }

  private announceResync(resync: JobResync): void {
    for (const handle of [...this.handles]) handle.resync(resync);
  }

  private accept(update: JobUpdate): void {
    if (this.outcome || update.seq <= this.lastSeq) return;
    if (this.epoch !== undefined && update.epoch !== this.epoch) return;
    this.epoch = update.epoch;
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
      } else if (next.seq === this.lastSeq + 1 || next.conflated) {
        // A `conflated` update follows on by definition: the server skipped what came between on purpose.
        this.pending.shift();
        this.accept(next);
      } else {
        return false;
      }
    }
    return true;
  }

  private buffer(update: JobUpdate): void {
    if (this.pending.some((held) => held.seq === update.seq && held.epoch === update.epoch)) return;
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

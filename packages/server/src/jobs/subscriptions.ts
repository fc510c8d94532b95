import {
  ErrorCode,
  EventName,
  SubscribeJobRequestCheck,
  SubscribeJobRequestSchema,
  UnsubscribeJobRequestCheck,
  UnsubscribeJobRequestSchema,
  parseChecked,
  protocolError,
  type ProtocolError,
  type SubscribeJobAck,
  type UnsubscribeJobAck,
} from '@org/ws-protocol';
import { compactHas, compactSize } from '../lifecycle/compact-set';
import type { ConnectionRecord, ConnectionRegistry } from '../lifecycle/connection-registry';
import { jobRoom } from './job-rooms';
import type { JobReplay, JobStore } from './job-store';
import { synchronousReplay } from './memory-job-store';
import { replayForSubscriber } from './replay-window';
import { storeRefusal } from './store-failure';
import type { AuthorizeSubscribeHook } from '../options';
import type { ServerEvents } from '../server-events';

/** What subscriptions need from the server. */
export interface SubscriptionDeps {
  registry: ConnectionRegistry;
  store: JobStore;
  authorize: AuthorizeSubscribeHook | undefined;
  events: ServerEvents;
  onError: (error: unknown, context: string) => void;
  /** The store answered (`true`) or failed (`false`), for `health()`. */
  onStoreResult: (ok: boolean) => void;
  /** While the server sheds load, the `retryAfterMs` of an `OVERLOADED` refusal; otherwise `undefined`. */
  overloadedRetryAfterMs: () => number | undefined;
  /** A subscribe was refused `OVERLOADED`. */
  onOverloaded: () => void;
  /** Most jobs one connection may watch, or have a subscribe pending for (`limits.maxSubscriptionsPerConnection`). */
  maxPerConnection: number;
  /** A subscribe was refused `TOO_MANY_SUBSCRIPTIONS`. */
  onTooMany: () => void;
  /** How much JSON of replayed updates a reply to the connection may carry; a replay past it is answered with a resync to the snapshot. */
  replayBudget: (record: ConnectionRecord) => number;
  /**
   * Resolves once updates published to the room reach this node (a fan-out that subscribes per room, asynchronously,
   * e.g. Redis sharded pub/sub); the store is read only then. @default resolved at once
   */
  roomReady?: ((room: string) => Promise<void>) | undefined;
}

// One message for "no such job" and "not yours", so that a client cannot probe which jobs exist.
const FORBIDDEN = protocolError(ErrorCode.FORBIDDEN, 'you may not watch this job');

const CLOSING = protocolError(ErrorCode.SHUTTING_DOWN, 'this connection is closing');

const UNSUBSCRIBED = protocolError(ErrorCode.UNSUBSCRIBED, 'an unsubscribe-job for this job arrived while this subscribe-job was pending; not subscribed');

/** The reply that confirms a subscription, with what the job's replay holds. */
function subscribedAck(jobId: string, replay: JobReplay): SubscribeJobAck {
  return { ok: true, jobId, epoch: replay.snapshot?.epoch ?? null, snapshot: replay.snapshot, updates: replay.updates, resync: replay.resync };
}

/** What a subscribe-job asked for, and the join of its room when one already started and is still under way. */
interface HeldRequest {
  lastSeq: number | undefined;
  epoch: string | undefined;
  joining: Promise<void> | undefined;
}

/** Subscribe requests of one connection for one job that have not been answered yet. */
interface PendingSubscribes {
  /** How many are pending; the entry goes when the last is answered. */
  requests: number;
  /** Bumped by every `unsubscribe-job` for the job: a pending subscribe that sees it change gives up. */
  generation: number;
  /** Bumped when the sweep drops the job: a pending subscribe that sees it change answers `FORBIDDEN`. */
  expiries: number;
  /**
   * A pending subscribe registered the subscription and no reply confirmed it yet (no `subscribe` event so far).
   * Ending it emits no `unsubscribe` event either.
   */
  provisional: boolean;
  /**
   * A subscribe started since the last `unsubscribe-job` or expiry of the job: one of them may still subscribe. The
   * others answer `UNSUBSCRIBED` or `FORBIDDEN`, so the job takes no slot under `maxPerConnection` meanwhile.
   */
  wanted: boolean;
}

/** `subscribe-job`, `unsubscribe-job`, and ending every subscription of a job the sweep dropped. */
export class Subscriptions {
  readonly #deps: SubscriptionDeps;
  // Weak, and each entry is deleted when its last request is answered: it cannot outlive the requests
  // (nor the connection), and there is at most one per (connection, job) with a subscribe pending.
  readonly #pending = new WeakMap<ConnectionRecord, Map<string, PendingSubscribes>>();
  // The same entries by job, for expire(): added and deleted with them, so it holds only jobs with a subscribe pending.
  readonly #pendingByJob = new Map<string, Set<PendingSubscribes>>();
  /** The answer to a subscribe past `maxPerConnection`. */
  readonly #tooMany: ProtocolError;
  // Set when a subscribe can be answered without waiting (see #subscribeNow): nothing to authorize, no room readiness
  // to wait for, a store that replays synchronously.
  readonly #replayNow: ((jobId: string, lastSeq: number | undefined) => JobReplay) | undefined;

  constructor(deps: SubscriptionDeps) {
    this.#deps = deps;
    this.#tooMany = protocolError(
      ErrorCode.TOO_MANY_SUBSCRIPTIONS,
      `this connection watches as many jobs as the server allows (${deps.maxPerConnection}); unsubscribe from one first`,
    );
    this.#replayNow = deps.authorize || deps.roomReady ? undefined : synchronousReplay(deps.store);
  }

  /**
   * Handles `subscribe-job`: authorize, join the job's room, then reply with its snapshot and missed updates.
   * An `unsubscribe-job` for the job that arrives meanwhile wins: this one then leaves no subscription and answers
   * `UNSUBSCRIBED` (or its own failure: `FORBIDDEN`, `INTERNAL`, `UNAVAILABLE`). The sweep dropping the job meanwhile
   * makes it answer `FORBIDDEN`, with no subscription either.
   */
  subscribe(record: ConnectionRecord, payload: unknown): SubscribeJobAck | Promise<SubscribeJobAck> {
    const request = parseChecked(SubscribeJobRequestCheck, SubscribeJobRequestSchema, payload, EventName.SubscribeJob);
    if (!request.ok) return { ok: false, error: request.error };
    const { jobId, lastSeq, epoch } = request.value;
    // Shedding load refuses what would add state; a job this connection already watches costs nothing more.
    const watched = this.#deps.registry.watches(record, jobId);
    const overloadedRetryAfterMs = watched ? undefined : this.#deps.overloadedRetryAfterMs();
    if (overloadedRetryAfterMs !== undefined) {
      this.#deps.onOverloaded();
      return { ok: false, error: protocolError(ErrorCode.OVERLOADED, 'the server is overloaded; not subscribed', overloadedRetryAfterMs) };
    }
    if (!watched && this.#wouldPassCap(record, jobId)) {
      this.#deps.onTooMany();
      return { ok: false, error: this.#tooMany };
    }
    const held: HeldRequest = { lastSeq, epoch, joining: undefined };
    return this.#subscribeNow(record, jobId, held) ?? this.#subscribePending(record, jobId, held);
  }

  /** Whether watching `jobId` too would put the connection past `maxPerConnection` jobs (subscribed, or with a subscribe pending that may still subscribe). */
  #wouldPassCap(record: ConnectionRecord, jobId: string): boolean {
    const pending = this.#pending.get(record);
    if (pending?.get(jobId)?.wanted) return false;
    let count = compactSize(record.subscriptions);
    // A pending subscribe may have registered its job already (after authorization): count each job once.
    if (pending) for (const [pendingJob, { wanted }] of pending) if (wanted && !compactHas(record.subscriptions, pendingJob)) count += 1;
    return count >= this.#deps.maxPerConnection;
  }

  /** Handles `unsubscribe-job`; unsubscribing from a job one does not watch is fine. */
  unsubscribe(record: ConnectionRecord, payload: unknown): UnsubscribeJobAck {
    const request = parseChecked(UnsubscribeJobRequestCheck, UnsubscribeJobRequestSchema, payload, EventName.UnsubscribeJob);
    if (!request.ok) return { ok: false, error: request.error };
    const { jobId } = request.value;
    const pending = this.#pending.get(record)?.get(jobId);
    if (pending) {
      pending.generation += 1;
      pending.wanted = false;
    }
    if (this.#drop(record, jobId)) this.#deps.events.emit('unsubscribe', { socketId: record.id, jobId, reason: 'request' });
    return { ok: true };
  }

  /**
   * Answers a subscribe in one go when nothing is to be waited for: no `authorizeSubscribe`, no room readiness, a store
   * that replays synchronously, a join that takes effect at once (Socket.IO's in-memory adapter), and no other subscribe
   * of this connection for this job pending. Nothing else runs meanwhile, so no unsubscribe, close or sweep can come
   * between the join and the reply. Returns `undefined` when it has to wait: the pending path then answers.
   */
  #subscribeNow(record: ConnectionRecord, jobId: string, held: HeldRequest): SubscribeJobAck | undefined {
    const replayNow = this.#replayNow;
    if (!replayNow || this.#pending.get(record)?.has(jobId)) return undefined;
    const { registry } = this.#deps;
    if (registry.get(record.id) !== record) return { ok: false, error: CLOSING };
    const joined = record.socket.join(jobRoom(jobId));
    // An adapter that joins asynchronously: the pending path waits for this join (and handles its failure).
    if (joined !== undefined) {
      held.joining = joined;
      return undefined;
    }
    // Nothing runs between the join above and this read, so no update can fall between them.
    const replay = replayForSubscriber(replayNow(jobId, held.lastSeq), held.epoch, this.#deps.replayBudget(record));
    if (registry.subscribe(record, jobId)) this.#deps.events.emit('subscribe', { socketId: record.id, jobId });
    return subscribedAck(jobId, replay);
  }

  /** A subscribe that waits (authorization, the join, room readiness, the store), registered as pending meanwhile. */
  async #subscribePending(record: ConnectionRecord, jobId: string, held: HeldRequest): Promise<SubscribeJobAck> {
    const pending = this.#startPending(record, jobId);
    try {
      return await this.#subscribe(record, jobId, held, pending);
    } finally {
      this.#endPending(record, jobId, pending);
    }
  }

  async #subscribe(
    record: ConnectionRecord,
    jobId: string,
    held: HeldRequest,
    pending: PendingSubscribes,
  ): Promise<SubscribeJobAck> {
    const { registry, store } = this.#deps;
    const { generation, expiries } = pending;

    if (this.#deps.authorize) {
      let allowed: unknown;
      try {
        allowed = await this.#deps.authorize({ principal: record.principal, jobId });
      } catch (error) {
        this.#deps.onError(error, 'authorizeSubscribe');
        return { ok: false, error: protocolError(ErrorCode.INTERNAL, 'the server could not authorize this request') };
      }
      if (allowed !== true) return { ok: false, error: FORBIDDEN };
    }
    if (registry.get(record.id) !== record) return { ok: false, error: CLOSING };
    if (pending.generation !== generation) return { ok: false, error: UNSUBSCRIBED };
    // The sweep dropped the job during authorization: registering now would confirm a job that is gone.
    if (pending.expiries !== expiries) return { ok: false, error: FORBIDDEN };

    // Join (and let the fan-out's subscription of the room take effect) before reading the store: an update racing
    // with this request then arrives twice (deduplicated by seq), never zero times.
    if (registry.subscribe(record, jobId)) pending.provisional = true;
    await (held.joining ?? record.socket.join(jobRoom(jobId)));
    if (this.#deps.roomReady) await this.#deps.roomReady(jobRoom(jobId));
    let replay: JobReplay;
    try {
      replay = replayForSubscriber(await store.replay(jobId, held.lastSeq), held.epoch, this.#deps.replayBudget(record));
      this.#deps.onStoreResult(true);
    } catch (error) {
      this.#deps.onStoreResult(false);
      this.#deps.onError(error, 'store.replay');
      // A subscription nothing confirmed goes once no subscribe for it is pending any more (#endPending).
      return { ok: false, error: storeRefusal(error) };
    }
    if (pending.generation !== generation) return { ok: false, error: UNSUBSCRIBED };
    // The connection closed meanwhile (its subscriptions went with it), or the sweep dropped the job, ended the
    // subscription and told its room `job-expired`: there is nothing to confirm, and the job is no longer known.
    if (registry.get(record.id) !== record) return { ok: false, error: CLOSING };
    if (pending.expiries !== expiries) return { ok: false, error: FORBIDDEN };
    if (pending.provisional) {
      pending.provisional = false;
      this.#deps.events.emit('subscribe', { socketId: record.id, jobId });
    }
    return subscribedAck(jobId, replay);
  }

  #startPending(record: ConnectionRecord, jobId: string): PendingSubscribes {
    let perJob = this.#pending.get(record);
    if (!perJob) {
      perJob = new Map();
      this.#pending.set(record, perJob);
    }
    let pending = perJob.get(jobId);
    if (!pending) {
      pending = { requests: 0, generation: 0, expiries: 0, provisional: false, wanted: true };
      perJob.set(jobId, pending);
      let ofJob = this.#pendingByJob.get(jobId);
      if (!ofJob) {
        ofJob = new Set();
        this.#pendingByJob.set(jobId, ofJob);
      }
      ofJob.add(pending);
    }
    pending.requests += 1;
    pending.wanted = true;
    return pending;
  }

  #endPending(record: ConnectionRecord, jobId: string, pending: PendingSubscribes): void {
    pending.requests -= 1;
    if (pending.requests > 0) return;
    // Every subscribe that could confirm a provisional subscription failed: it goes, unannounced like its start.
    if (pending.provisional) this.#drop(record, jobId);
    // A join that completed after an unsubscribe's leave (an adapter that joins asynchronously) must not stay.
    else if (!this.#deps.registry.watches(record, jobId)) void record.socket.leave(jobRoom(jobId));
    const perJob = this.#pending.get(record);
    perJob?.delete(jobId);
    if (perJob?.size === 0) this.#pending.delete(record);
    const ofJob = this.#pendingByJob.get(jobId);
    ofJob?.delete(pending);
    if (ofJob?.size === 0) this.#pendingByJob.delete(jobId);
  }

  /**
   * Ends every local subscription of a job the sweep dropped, after telling its room `job-expired`, and makes every
   * subscribe for it still pending answer `FORBIDDEN`.
   */
  expire(jobId: string, lastSeq: number, emitToRoom: (room: string, lastSeq: number) => void): void {
    emitToRoom(jobRoom(jobId), lastSeq);
    for (const pending of this.#pendingByJob.get(jobId) ?? []) {
      pending.expiries += 1;
      pending.wanted = false;
    }
    for (const record of this.#deps.registry.subscribersOf(jobId)) {
      if (this.#drop(record, jobId)) this.#deps.events.emit('unsubscribe', { socketId: record.id, jobId, reason: 'job-expired' });
    }
  }

  /**
   * Ends a subscription and leaves the job's room. Returns whether an `unsubscribe` event is due: not for a
   * provisional subscription, whose start was never announced either.
   */
  #drop(record: ConnectionRecord, jobId: string): boolean {
    if (!this.#deps.registry.unsubscribe(record, jobId)) return false;
    void record.socket.leave(jobRoom(jobId));
    const pending = this.#pending.get(record)?.get(jobId);
    if (!pending?.provisional) return true;
    pending.provisional = false;
    return false;
  }
}

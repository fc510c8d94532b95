import {
  ErrorCode,
  EventName,
  JobProtocolError,
  SubscribeJobRequestSchema,
  UnsubscribeJobRequestSchema,
  parsePayload,
  protocolError,
  type SubscribeJobAck,
  type UnsubscribeJobAck,
} from '@org/ws-protocol';
import type { ConnectionRecord, ConnectionRegistry } from './connection-registry';
import { jobRoom } from './job-rooms';
import type { JobStore } from './job-store';
import type { AuthorizeSubscribeHook } from './options';
import type { ServerEvents } from './server-events';

/** What subscriptions need from the server. */
export interface SubscriptionDeps {
  registry: ConnectionRegistry;
  store: JobStore;
  authorize: AuthorizeSubscribeHook | undefined;
  events: ServerEvents;
  onError: (error: unknown, context: string) => void;
  /** The store answered (`true`) or failed (`false`), for `health()`. */
  onStoreResult: (ok: boolean) => void;
}

// One message for "no such job" and "not yours", so that a client cannot probe which jobs exist.
const FORBIDDEN = protocolError(ErrorCode.FORBIDDEN, 'you may not watch this job');

/** `subscribe-job`, `unsubscribe-job`, and ending every subscription of a job the sweep dropped. */
export class Subscriptions {
  readonly #deps: SubscriptionDeps;

  constructor(deps: SubscriptionDeps) {
    this.#deps = deps;
  }

  /** Handles `subscribe-job`: authorize, join the job's room, then reply with its snapshot and missed updates. */
  async subscribe(record: ConnectionRecord, payload: unknown): Promise<SubscribeJobAck> {
    const request = parsePayload(SubscribeJobRequestSchema, payload, EventName.SubscribeJob);
    if (!request.ok) return { ok: false, error: request.error };
    const { jobId, lastSeq } = request.value;
    const { registry, store } = this.#deps;

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
    if (registry.get(record.id) !== record) {
      return { ok: false, error: protocolError(ErrorCode.SHUTTING_DOWN, 'this connection is closing') };
    }

    // Join before reading the store: an update racing with this request then arrives twice (deduplicated by seq), never zero times.
    const added = registry.subscribe(record, jobId);
    await record.socket.join(jobRoom(jobId));
    try {
      const replay = await store.replay(jobId, lastSeq);
      this.#deps.onStoreResult(true);
      if (added) this.#deps.events.emit('subscribe', { socketId: record.id, jobId });
      return { ok: true, jobId, snapshot: replay.snapshot, updates: replay.updates, resync: replay.resync };
    } catch (error) {
      this.#deps.onStoreResult(false);
      if (added) this.#drop(record, jobId);
      this.#deps.onError(error, 'store.replay');
      const wire = error instanceof JobProtocolError ? error.toJSON() : protocolError(ErrorCode.UNAVAILABLE, 'job state is unavailable; retry later');
      return { ok: false, error: wire };
    }
  }

  /** Handles `unsubscribe-job`; unsubscribing from a job one does not watch is fine. */
  async unsubscribe(record: ConnectionRecord, payload: unknown): Promise<UnsubscribeJobAck> {
    const request = parsePayload(UnsubscribeJobRequestSchema, payload, EventName.UnsubscribeJob);
    if (!request.ok) return { ok: false, error: request.error };
    const { jobId } = request.value;
    if (this.#drop(record, jobId)) this.#deps.events.emit('unsubscribe', { socketId: record.id, jobId, reason: 'request' });
    return { ok: true };
  }

  /** Ends every local subscription of a job the sweep dropped, after telling its room `job-expired`. */
  expire(jobId: string, lastSeq: number, emitToRoom: (room: string, lastSeq: number) => void): void {
    emitToRoom(jobRoom(jobId), lastSeq);
    for (const record of this.#deps.registry.subscribersOf(jobId)) {
      if (this.#drop(record, jobId)) this.#deps.events.emit('unsubscribe', { socketId: record.id, jobId, reason: 'job-expired' });
    }
  }

  #drop(record: ConnectionRecord, jobId: string): boolean {
    if (!this.#deps.registry.unsubscribe(record, jobId)) return false;
    void record.socket.leave(jobRoom(jobId));
    return true;
  }
}

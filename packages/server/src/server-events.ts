import type { TimeoutNotice } from '@org/ws-protocol';
import { TypedEvents } from './typed-events';

/** Why a subscription ended. */
export type UnsubscribeReason = 'request' | 'job-expired';

/** Lifecycle events of a job server and their payloads. */
export interface JobServerEventMap {
  /** A connection was accepted. */
  connection: { socketId: string; ip: string; principal: unknown };
  /** A connection ended and everything tracked for it was removed. */
  disconnect: { socketId: string; ip: string; reason: string };
  /** A connection started watching a job. */
  subscribe: { socketId: string; jobId: string };
  /** A connection stopped watching a job. */
  unsubscribe: { socketId: string; jobId: string; reason: UnsubscribeReason };
  /** A `server-timeout-notice` was sent. */
  notice: { socketId: string; notice: TimeoutNotice };
  /** A hook, the store or a listener failed; the server carried on. */
  error: { error: unknown; context: string };
}

/** Name of a job server lifecycle event. */
export type JobServerEventName = keyof JobServerEventMap;

/** Listener of one lifecycle event. */
export type JobServerListener<E extends JobServerEventName> = (payload: JobServerEventMap[E]) => void;

/** The job server's lifecycle emitter. */
export class ServerEvents extends TypedEvents<JobServerEventMap> {}

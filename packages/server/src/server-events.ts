import type { TimeoutNotice } from '@org/ws-protocol';
import { TypedEvents } from './typed-events';

/** Why a subscription ended. */
export type UnsubscribeReason = 'request' | 'job-expired';

/** Payload of the `disconnect` event: who left, why, and the connection's last timestamps (ms since the epoch, from the server's clock). */
export interface DisconnectEvent {
  /** Socket id. */
  socketId: string;
  /** Client IP the connection counted against. */
  ip: string;
  /** Why it ended: one of the server's own reasons (`heartbeat-timeout`, `idle`, `shutdown`, ...) or Socket.IO's. */
  reason: string;
  /** When the connection was accepted. */
  connectedAt: number;
  /** Its last application event, or the last `job-update` written on this node of a job it watched then, when later ("active"; see README "Alive vs active"). */
  lastActivityAt: number;
  /** Its last heartbeat answer, or `connectedAt` when it never answered one ("alive"). */
  lastAliveAt: number;
}

/** Lifecycle events of a job server and their payloads. */
export interface JobServerEventMap {
  /** A connection was accepted. */
  connection: { socketId: string; ip: string; principal: unknown };
  /** A connection ended and everything tracked for it was removed. */
  disconnect: DisconnectEvent;
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

import type { Heartbeat, HeartbeatAck } from './heartbeat';
import type { JobExpired, JobUpdate } from './job-update';
import type { SubscribeJobAck, SubscribeJobRequest } from './subscribe-job';
import type { TimeoutNotice, TimeoutNoticeAck } from './timeout-notice';
import type { UnsubscribeJobAck, UnsubscribeJobRequest } from './unsubscribe-job';

/** Events a server emits, typed for `new Server<ClientToServerEvents, ServerToClientEvents>()`. */
export interface ServerToClientEvents {
  /** One update of a watched job. */
  'job-update': (update: JobUpdate) => void;
  /** A watched job was dropped without a terminal update. */
  'job-expired': (notice: JobExpired) => void;
  /** Liveness probe; answer with the same `ts` when it asks for an answer (`ack` is absent on the welcome heartbeat). */
  heartbeat: (probe: Heartbeat, ack?: (reply: HeartbeatAck) => void) => void;
  /** The server will end the connection; acknowledge with the reason. */
  'server-timeout-notice': (notice: TimeoutNotice, ack: (reply: TimeoutNoticeAck) => void) => void;
}

/** Events a client emits, typed for `io() as Socket<ServerToClientEvents, ClientToServerEvents>`. */
export interface ClientToServerEvents {
  /** Start watching a job; the reply carries its snapshot and missed updates. */
  'subscribe-job': (request: SubscribeJobRequest, ack: (reply: SubscribeJobAck) => void) => void;
  /** Stop watching a job. */
  'unsubscribe-job': (request: UnsubscribeJobRequest, ack: (reply: UnsubscribeJobAck) => void) => void;
}

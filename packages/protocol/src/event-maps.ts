import type { Heartbeat, HeartbeatAck } from './heartbeat';
import type { JobExpired, JobUpdate } from './job-update';
import type { SubscribeJobAck, SubscribeJobRequest } from './subscribe-job';
import type { TimeoutNotice, TimeoutNoticeAck } from './timeout-notice';
import type { UnsubscribeJobAck, UnsubscribeJobRequest } from './unsubscribe-job';

/** Events a server emits, typed for `new Server<ClientToServerEvents, ServerToClientEvents>()`. */
export interface ServerToClientEvents {
  'job-update': (update: JobUpdate) => void;
  'job-expired': (notice: JobExpired) => void;
  heartbeat: (probe: Heartbeat, ack: (reply: HeartbeatAck) => void) => void;
  'server-timeout-notice': (notice: TimeoutNotice, ack: (reply: TimeoutNoticeAck) => void) => void;
}

/** Events a client emits, typed for `io() as Socket<ServerToClientEvents, ClientToServerEvents>`. */
export interface ClientToServerEvents {
  'subscribe-job': (request: SubscribeJobRequest, ack: (reply: SubscribeJobAck) => void) => void;
  'unsubscribe-job': (request: UnsubscribeJobRequest, ack: (reply: UnsubscribeJobAck) => void) => void;
}

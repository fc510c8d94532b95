import {
  EventName,
  PROTOCOL_VERSION,
  parsePayload,
  TimeoutNoticeSchema,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from '@org/ws-protocol';
import { io, type Socket } from 'socket.io-client';
import type { EventLog } from './event-log';

/** How long the flooding connection may live if the server never drops it. */
const GIVE_UP_MS = 15_000;

/**
 * Opens a second, misbehaving connection that sends `count` requests at once. `@org/ws-client` paces its
 * own requests and never floods, so the rate limit can only be shown with a raw Socket.IO socket.
 * The page's real connection is not affected: the limit is per connection.
 */
export function floodWithRawSocket(options: { url: string; token: string; count: number; log: EventLog }): void {
  const { count, log } = options;
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(options.url, {
    auth: { protocolVersion: PROTOCOL_VERSION, token: options.token },
    reconnection: false,
    transports: ['websocket'],
  });
  let refused = 0;
  const giveUp = setTimeout(() => socket.close(), GIVE_UP_MS);

  socket.on('connect', () => {
    log.add('warn', `Flooding connection sends ${count} subscribe-job requests at once`);
    for (let i = 0; i < count; i += 1) {
      socket.emit(EventName.SubscribeJob, { jobId: `flood-${i}` }, (reply) => {
        if (!reply.ok && reply.error.code === 'RATE_LIMITED') refused += 1;
      });
    }
  });
  socket.on(EventName.Heartbeat, (probe, ack) => ack?.({ ts: probe.ts }));
  socket.on(EventName.ServerTimeoutNotice, (payload, ack) => {
    const notice = parsePayload(TimeoutNoticeSchema, payload, 'notice');
    if (!notice.ok) return;
    ack({ reason: notice.value.reason });
    log.add('warn', `Server notice "${notice.value.reason}" to the flooding connection: retry after ${notice.value.retryAfterMs ?? 0} ms`);
  });
  socket.on('connect_error', (error) => {
    clearTimeout(giveUp);
    log.add('bad', `Flooding connection refused: ${error.message}`);
  });
  socket.on('disconnect', (reason) => {
    clearTimeout(giveUp);
    log.add('info', `Flooding connection closed (${reason}); ${refused} of ${count} requests were refused with RATE_LIMITED`);
  });
}

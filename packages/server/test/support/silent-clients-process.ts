// Many raw Socket.IO clients (WebSocket) in their own process (so that their work does not slow the server under test): each
// connects, subscribes to one job and answers heartbeats, but never acknowledges a notice. Reports `ready` once every
// client is subscribed; `noticed` answers how many notices arrived.
import { EventName, PROTOCOL_VERSION } from '@org/ws-protocol';
import { io } from 'socket.io-client';
import { childConfig, sendEvent, serveRequests } from './redis-child-ipc';

/** Config of a silent-clients process. */
export interface SilentClientsConfig {
  url: string;
  count: number;
}

const { url, count } = childConfig<SilentClientsConfig>();
let subscribed = 0;
let noticed = 0;
for (let index = 0; index < count; index += 1) {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { protocolVersion: PROTOCOL_VERSION } });
  socket.on(EventName.Heartbeat, (probe: { ts: number }, ack?: (reply: { ts: number }) => void) => ack?.({ ts: probe.ts }));
  socket.on(EventName.ServerTimeoutNotice, () => {
    noticed += 1;
  });
  socket.on('connect_error', (error) => sendEvent('error', { message: error.message }));
  socket.on('connect', () => {
    socket.emit(EventName.SubscribeJob, { jobId: `job-${index}` }, (reply: { ok: boolean }) => {
      if (!reply.ok) sendEvent('error', { reply });
      subscribed += 1;
      if (subscribed === count) sendEvent('ready');
    });
  });
}
serveRequests({ noticed: () => noticed });

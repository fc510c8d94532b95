// A well-behaved raw client in its own process: connects, subscribes to one job, answers heartbeats and
// reports `subscribed`, each `heartbeat` it answered and each `update` it received. Tests freeze it with SIGSTOP to make a zombie
// connection: the TCP socket stays open and the kernel keeps acknowledging it, but nobody answers.
import { EventName, PROTOCOL_VERSION } from '@org/ws-protocol';
import { io } from 'socket.io-client';
import { childConfig, sendEvent } from './redis-child-ipc';

/** Config of a subscribed client process. */
export interface SubscribedClientConfig {
  url: string;
  jobId: string;
}

const { url, jobId } = childConfig<SubscribedClientConfig>();
const socket = io(url, { transports: ['websocket'], reconnection: false, auth: { protocolVersion: PROTOCOL_VERSION } });

socket.on(EventName.Heartbeat, (probe: { ts: number }, ack?: (reply: { ts: number }) => void) => {
  ack?.({ ts: probe.ts });
  sendEvent('heartbeat', { ts: probe.ts });
});
socket.on(EventName.JobUpdate, (update: { seq: number }) => sendEvent('update', { seq: update.seq }));
socket.on('connect_error', (error) => sendEvent('error', { message: error.message }));
socket.on('connect', () => {
  socket.emit(EventName.SubscribeJob, { jobId }, (reply: { ok: boolean }) => sendEvent(reply.ok ? 'subscribed' : 'error', { socketId: socket.id, reply }));
});
process.on('disconnect', () => process.exit(0));

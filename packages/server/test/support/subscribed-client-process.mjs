// A well-behaved client in its own process: connects, answers heartbeats, subscribes to one job and
// reports `{ subscribed: socketId }` over IPC. Tests freeze it (SIGSTOP) to make a zombie connection.
// Plain ESM so that Node runs it without a build step (it imports the built @org/ws-protocol).
// Usage: node subscribed-client-process.mjs <url> <jobId>
import { EventName, PROTOCOL_VERSION } from '@org/ws-protocol';
import { io } from 'socket.io-client';

const [url, jobId] = process.argv.slice(2);
const socket = io(url, { transports: ['websocket'], reconnection: false, auth: { protocolVersion: PROTOCOL_VERSION } });

socket.on(EventName.Heartbeat, (probe, ack) => ack({ ts: probe.ts }));
socket.on('connect_error', (error) => process.send({ error: error.message }));
socket.on('connect', () => {
  socket.emit(EventName.SubscribeJob, { jobId }, (reply) => process.send(reply.ok ? { subscribed: socket.id } : { error: reply.error }));
});
process.on('disconnect', () => process.exit(0));

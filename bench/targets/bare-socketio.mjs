// The baseline: what a user writes by hand on bare Socket.IO — a room per job, join on subscribe,
// `io.to(room).emit` on update, nothing else (no heartbeat, limits, snapshots or cleanup logic).
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { EventName } from '@org/ws-protocol';

/** Starts the bare Socket.IO server on 127.0.0.1, port 0; `livenessMs` stretches Engine.IO's ping interval and timeout. */
export async function startTarget({ livenessMs } = {}) {
  const httpServer = createServer();
  const liveness = livenessMs === undefined ? {} : { pingInterval: livenessMs, pingTimeout: livenessMs };
  const io = new Server(httpServer, { transports: ['websocket'], ...liveness });
  io.on('connection', (socket) => {
    socket.on(EventName.SubscribeJob, (request, ack) => {
      socket.join(request.jobId);
      ack({ ok: true, jobId: request.jobId });
    });
    socket.on(EventName.UnsubscribeJob, (request, ack) => {
      socket.leave(request.jobId);
      ack({ ok: true });
    });
  });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));

  return {
    port: httpServer.address().port,
    async publish(jobId, seq, input) {
      io.to(jobId).emit(EventName.JobUpdate, { jobId, seq, ...input, at: Date.now() });
    },
    connections: () => io.engine.clientsCount,
    health: () => null,
    registries: () => ({ connections: io.engine.clientsCount, rooms: io.of('/').adapter.rooms.size }),
    settle: async () => undefined,
    idle: () => io.engine.clientsCount === 0 && io.of('/').adapter.rooms.size === 0,
    close: () => new Promise((resolve) => io.close(() => resolve())),
  };
}

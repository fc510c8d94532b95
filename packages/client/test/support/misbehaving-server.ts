import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { trackClosable } from './leak-check';

/**
 * A plain Socket.IO server (not the job server) on 127.0.0.1, for what a job server cannot be made to do (refuse or
 * never answer a handshake as the test scripts it). The leak check closes it.
 */
export async function startRawServer(): Promise<{ io: Server; url: string }> {
  const http = createServer();
  const io = new Server(http);
  trackClosable(() => io.close());
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

/**
 * A bare Socket.IO server that speaks the protocol's event names as the test scripts it, including what a real job
 * server never sends (broken payloads, replies out of order). The leak check closes it. Resolves with its URL.
 */
export async function startMisbehavingServer(onConnection: (socket: Socket) => void): Promise<string> {
  const { io, url } = await startRawServer();
  io.on('connection', onConnection);
  return url;
}

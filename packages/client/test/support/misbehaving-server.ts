import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { trackClosable } from './leak-check';

/**
 * A bare Socket.IO server that speaks the protocol's event names as the test scripts it, including what a real job
 * server never sends (broken payloads, replies out of order). The leak check closes it. Resolves with its URL.
 */
export async function startMisbehavingServer(onConnection: (socket: Socket) => void): Promise<string> {
  const http = createServer();
  const io = new Server(http);
  trackClosable(() => io.close());
  io.on('connection', onConnection);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

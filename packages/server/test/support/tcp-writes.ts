import type { Duplex } from 'node:stream';
import type { JobServer } from '../../src/index';

/** What a server-side TCP socket was asked to write: one entry per call that reached the kernel, with its chunks. */
export type TcpWrites = string[][];

interface TcpInternals {
  _write(chunk: unknown, encoding: string, callback: (error?: Error | null) => void): void;
  _writev(chunks: { chunk: unknown }[], callback: (error?: Error | null) => void): void;
}

function record(tcp: TcpInternals, writes: TcpWrites): void {
  const writeOne = tcp._write.bind(tcp);
  const writeMany = tcp._writev.bind(tcp);
  tcp._write = (chunk, encoding, callback) => {
    writes.push([String(chunk)]);
    writeOne(chunk, encoding, callback);
  };
  tcp._writev = (chunks, callback) => {
    writes.push(chunks.map(({ chunk }) => String(chunk)));
    writeMany(chunks, callback);
  };
}

/** Records the writes of every WebSocket transport's TCP socket from the moment Engine.IO reports the transport. */
export function recordTransportWrites(server: JobServer): TcpWrites {
  const writes: TcpWrites = [];
  server.io.engine.on('connection', (conn: { transport: { name: string; socket: { _socket: TcpInternals } } }) => {
    if (conn.transport.name === 'websocket') record(conn.transport.socket._socket, writes);
  });
  return writes;
}

/** Records the writes of every TCP socket that asks the server's HTTP server for an upgrade, from its first byte on. */
export function recordUpgradeWrites(server: JobServer): TcpWrites {
  const writes: TcpWrites = [];
  server.io.httpServer.prependListener('upgrade', (_request: unknown, socket: Duplex) => record(socket as unknown as TcpInternals, writes));
  return writes;
}

import WebSocket from 'ws';

/** An Engine.IO connection over a plain WebSocket, as a client without any Socket.IO library would open one. */
export interface RawEngineConnection {
  /** Text messages received, in order (`0{…}` is Engine.IO's open packet, `40…`/`44…` Socket.IO's CONNECT/CONNECT_ERROR). */
  readonly messages: string[];
  /** Resolves the WebSocket close code once the connection closed, from either side. */
  readonly closed: Promise<number>;
  /** Whether the connection is still open. */
  readonly open: boolean;
  /** Sends one Engine.IO text message. */
  send(text: string): void;
  /** Resolves the first message received (or still to come) that matches. */
  nextMessage(matches: (text: string) => boolean): Promise<string>;
  close(): void;
}

/** What opening a raw connection gave: the HTTP status and body of a refused upgrade, or the open connection. */
export type RawEngineOutcome = { refused: number; body: string } | { connection: RawEngineConnection };

const opened: WebSocket[] = [];

/** Opens `/socket.io/?EIO=4&transport=websocket` and sends nothing: no Socket.IO CONNECT, no pong. */
export function openRawEngine(url: string, headers: Record<string, string> = {}): Promise<RawEngineOutcome> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, { headers });
  opened.push(socket);
  const messages: string[] = [];
  const waiters = new Set<{ matches: (text: string) => boolean; resolve: (text: string) => void }>();
  socket.on('message', (data) => {
    const text = String(data);
    messages.push(text);
    for (const waiter of waiters) {
      if (!waiter.matches(text)) continue;
      waiters.delete(waiter);
      waiter.resolve(text);
    }
  });
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  const connection: RawEngineConnection = {
    messages,
    closed,
    get open() {
      return socket.readyState === WebSocket.OPEN;
    },
    send: (text) => socket.send(text),
    nextMessage(matches) {
      const seen = messages.find(matches);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.add({ matches, resolve }));
    },
    close: () => socket.close(),
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ connection }));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.once('end', () => {
        resolve({ refused: response.statusCode ?? 0, body });
        socket.terminate();
      });
    });
    socket.once('error', reject);
  });
}

/** Opens a raw connection the server must accept, and resolves it once Engine.IO's open packet arrived. */
export async function openRawEngineAccepted(url: string, headers: Record<string, string> = {}): Promise<RawEngineConnection> {
  const outcome = await openRawEngine(url, headers);
  if (!('connection' in outcome)) throw new Error(`the server refused a raw Engine.IO connection with HTTP ${outcome.refused}`);
  await outcome.connection.nextMessage((text) => text.startsWith('0{'));
  return outcome.connection;
}

/** Closes every raw connection opened since the last call. */
export function closeAllRawEngines(): void {
  for (const socket of opened.splice(0)) socket.terminate();
}

// A Node script that does what server-rendered code does with the client: import it and create one at module
// scope, then nothing else. Run by test/lazy-connect.test.ts as a child process: argv[2] is the server URL,
// argv[3] `eager` asks for `autoConnect: true`. It prints what it saw and must then exit by itself.
import { createJobClient } from '../../src/index';

const [url, mode] = process.argv.slice(2);
const eager = mode === 'eager';
// The eager client speaks WebSocket only, so the test that kills it sees the TCP close at once (a polling or
// half-upgraded transport would linger on the server until its timeouts).
export const client = createJobClient({ url: url!, autoConnect: eager ? true : undefined, socketOptions: eager ? { transports: ['websocket'] } : undefined });
process.stdout.write(JSON.stringify({ hasWindow: typeof window !== 'undefined', state: client.state }));

// A Node script that does what server-rendered code does with the client: import it and create one at module
// scope, then nothing else. Run by test/lazy-connect.test.ts as a child process: argv[2] is the server URL,
// argv[3] `eager` asks for `autoConnect: true`. It prints what it saw and must then exit by itself.
import { createJobClient } from '../../src/index';

const [url, mode] = process.argv.slice(2);
export const client = createJobClient({ url: url!, autoConnect: mode === 'eager' ? true : undefined });
process.stdout.write(JSON.stringify({ hasWindow: typeof window !== 'undefined', state: client.state }));

// Starts one server under test in its own process (with --expose-gc), ready to be driven over IPC.
import { fileURLToPath } from 'node:url';
import { startChild } from './ipc-channel.mjs';

const serverProcessPath = fileURLToPath(new URL('./server-process.mjs', import.meta.url));

/** Starts `target` (`ours` or `bare`) and returns its IPC handle plus its URL. */
export async function startServerUnderTest(target, targetOptions = {}) {
  const server = await startChild(serverProcessPath, {
    args: [target, JSON.stringify(targetOptions)],
    execArgv: ['--expose-gc'],
    label: `${target} server`,
  });
  const port = await server.request('port');
  return { ...server, url: `http://127.0.0.1:${port}` };
}

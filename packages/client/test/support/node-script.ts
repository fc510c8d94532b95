import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleNodeScript } from '../../../../test/support/node-script-bundle';
import { trackClosable } from './leak-check';

const here = dirname(fileURLToPath(import.meta.url));
// Inside the package's node_modules, so the bundle's bare imports (socket.io-client, zod) resolve as in the tests.
const outDir = join(here, '../../node_modules/.cache/ws-client-tests');

/** A Node child process running a bundled test script. */
export interface NodeScript {
  readonly process: ChildProcess;
  /** Everything the script wrote to stdout so far. */
  readonly stdout: () => string;
  /** Resolves with the exit code once the process exited. */
  readonly exited: Promise<number | null>;
  /** The exit code if the process exits within `ms`, else `'still running'` (a bound, so a hung process fails a test instead of hanging it). */
  exitWithin(ms: number): Promise<number | null | 'still running'>;
}

/**
 * Bundles `entry` (a file in test/support, workspace packages from source) and runs it with `node`. The leak check
 * kills it by its PID after the test if it is still running, and removes the bundle.
 */
export async function runNodeScript(entry: string, args: string[]): Promise<NodeScript> {
  const outfile = join(outDir, `${entry.replace(/\.ts$/, '')}-${process.pid}-${Date.now()}.mjs`);
  await bundleNodeScript(join(here, entry), outfile);
  const child = spawn(process.execPath, [outfile, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  trackClosable(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(outfile, { force: true });
  });
  const exitWithin = async (ms: number): Promise<number | null | 'still running'> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<'still running'>((resolve) => (timer = setTimeout(resolve, ms, 'still running')));
    try {
      return await Promise.race([exited, bound]);
    } finally {
      clearTimeout(timer);
    }
  };
  return { process: child, stdout: () => stdout, exited, exitWithin };
}

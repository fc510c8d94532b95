import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildServer } from '../../build.mjs';

/** The demo's built entry, what `pnpm demo` runs after building. */
const ENTRY = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** Longest a demo process may take to print its URL. */
const START_TIMEOUT_MS = 15_000;

/** How a demo process ended. */
export interface DemoExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A demo running as its own Node process, as `pnpm demo` starts it. */
export interface DemoProcess {
  /** The URL the process printed, e.g. `http://localhost:41234`. */
  readonly url: string;
  /** The port in that URL. */
  readonly port: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves once the process has exited. */
  readonly exited: Promise<DemoExit>;
  /** Sends `signal` (unless the process already exited) and resolves how it ended. */
  stop(signal: NodeJS.Signals): Promise<DemoExit>;
}

/**
 * Bundles `src/main.ts` into `dist/main.js` as `pnpm demo` does. The bundle imports the workspace
 * packages' builds (`pnpm build` at the root, which `pnpm test` runs first).
 */
export function buildDemoEntry(): Promise<void> {
  return buildServer();
}

/** Starts `node dist/main.js <args>` and resolves once it printed the URL it listens on. */
export function spawnDemo(args: readonly string[]): Promise<DemoProcess> {
  const child = spawn(process.execPath, [ENTRY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<DemoExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let running = true;
  void exited.then(() => {
    running = false;
  });

  return new Promise<DemoProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the demo printed no URL within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /running at (http:\/\/\S+:(\d+))/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off('data', collect);
      child.stdout.on('data', (more: Buffer) => (output += more.toString()));
      resolve({
        url: match[1]!,
        port: Number(match[2]),
        output: () => output,
        exited,
        stop(signal) {
          if (running) child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (code ${code}, signal ${signal}) before printing its URL:\n${output}`));
    });
  });
}

import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Shared by the publish-ready checks, which install the packages as users get them: packed, with npm.

/** The repository's root directory. */
export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The version this workspace resolves for `name` from the package in `packageDir` (relative to the root). */
export function workspaceVersion(name: string, packageDir = 'packages/server'): string {
  const from = createRequire(join(repositoryRoot, packageDir, 'package.json'));
  return (JSON.parse(readFileSync(from.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
}

/** Runs `command` in `cwd` and returns its stdout; throws with its output when it fails. */
export function runIn(cwd: string, command: string, args: string[]): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });
}

/**
 * Runs `command` in `cwd` without blocking the test worker (a long synchronous run would time out its messages to
 * vitest); resolves stdout, rejects with stdout and stderr when it exits non-zero.
 */
export function runInBackground(cwd: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, encoding: 'utf8', timeout: 240_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}${stderr}`, { cause: error })) : resolve(stdout),
    );
  });
}

/** A scratch app outside the workspace that installed packed `@org/ws-*` tarballs. */
export interface PackedApp {
  /** The app's directory. */
  readonly dir: string;
  /** Deletes the app and its tarballs. */
  remove(): void;
}

/** What `installPackedApp` puts together. */
export interface PackedAppOptions {
  /** Directory names under packages/ to pack and install. */
  packages: readonly string[];
  /** A directory copied into the app first; its package.json, if any, is kept (with its devDependencies). */
  fixtures: string;
  /** Further packages to install, as `name@version`. */
  dependencies: readonly string[];
}

/** Packs `packages` with pnpm, copies `fixtures` into a scratch directory and installs the tarballs and `dependencies` there with npm. */
export async function installPackedApp({ packages, fixtures, dependencies }: PackedAppOptions): Promise<PackedApp> {
  const scratch = mkdtempSync(join(tmpdir(), 'org-ws-packed-'));
  // A minute or two of npm with nothing else to show: say what is going on.
  console.log(`packing ${packages.map((name) => `@org/ws-${name}`).join(', ')} and installing them with npm in ${scratch}`);
  const tarballs = join(scratch, 'tarballs');
  for (const name of packages) await runInBackground(join(repositoryRoot, 'packages', name), 'pnpm', ['pack', '--pack-destination', tarballs]);
  const dir = join(scratch, 'app');
  cpSync(fixtures, dir, { recursive: true });
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) writeFileSync(manifest, JSON.stringify({ name: 'scratch-consumer', private: true, version: '1.0.0' }));
  const packed = readdirSync(tarballs).map((file) => join(tarballs, file));
  await runInBackground(dir, 'npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...packed, ...dependencies]);
  return { dir, remove: () => rmSync(scratch, { recursive: true, force: true }) };
}

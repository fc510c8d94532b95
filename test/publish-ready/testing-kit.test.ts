import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPackedApp, runInBackground, workspaceVersion, type PackedApp } from '../support/packed-app';

// @org/ws-server/testing as users get it: the packed tarball installed with npm into an app whose
// package.json (./testing-kit) brings Jest and Vitest; each runner runs the same scenarios.

let packedApp: PackedApp | undefined;

/** Runs `node args` in the app, without the outer vitest's variables (the inner runner would think it is nested). */
function node(args: string[]): Promise<string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(VITEST|TEST$|NODE_OPTIONS$|JEST_WORKER_ID$)/.test(name)));
  return runInBackground(packedApp!.dir, process.execPath, args, env);
}

/** Passed and failed counts from a Jest-style JSON report (Jest's `--json`, Vitest's json reporter). */
function counts(json: string): { passed: number; failed: number } {
  const report = JSON.parse(json.slice(json.indexOf('{'))) as { numPassedTests: number; numFailedTests: number };
  return { passed: report.numPassedTests, failed: report.numFailedTests };
}

beforeAll(async () => {
  packedApp = await installPackedApp({
    packages: ['protocol', 'server'],
    fixtures: fileURLToPath(new URL('./testing-kit', import.meta.url)),
    dependencies: ['socket.io', 'socket.io-client', 'zod'].map((name) => `${name}@${workspaceVersion(name)}`),
  });
});

afterAll(() => {
  packedApp?.remove();
});

describe('@org/ws-server/testing from the packed tarball', () => {
  it('passes its scenarios under Vitest (ESM)', async () => {
    const report = await node([join('node_modules', 'vitest', 'vitest.mjs'), 'run', 'no-leaks.vitest', '--reporter=json']);
    expect(counts(report)).toEqual({ passed: 3, failed: 0 });
  });

  it('passes its scenarios under Jest (CommonJS) and leaves no handle that keeps Jest from exiting', async () => {
    const report = await node([join('node_modules', 'jest', 'bin', 'jest.js'), 'no-leaks.jest', '--json']);
    expect(counts(report)).toEqual({ passed: 3, failed: 0 });
  });

  it('passes its scenarios under node:test, with forced GC in the churn (--expose-gc)', async () => {
    const report = await node(['--expose-gc', '--test', '--test-reporter=tap', 'no-leaks.node-test.mjs']);
    expect(report).toMatch(/^# pass 3$/m);
    expect(report).toMatch(/^# fail 0$/m);
  });
});

import { createDemoApp, type DemoApp } from '../../src/demo-app';
import { defaultDemoConfig, type DemoConfig } from '../../src/demo-config';
import { seededRandom } from './seeded-random';

/** What a test changes from the test defaults. */
export interface TestDemoOverrides {
  /** Job pacing. @default 80 ms steps, 6 steps, 30 % failures */
  jobs?: Partial<DemoConfig['jobs']>;
  /** Lifecycle settings. @default server defaults with a 2 s shutdown deadline */
  server?: Partial<DemoConfig['server']>;
}

/** Test settings: port 0 on 127.0.0.1, fast job pacing, short shutdown deadline, 200 ms stats samples. */
export function testDemoConfig(overrides: TestDemoOverrides = {}): DemoConfig {
  const config = defaultDemoConfig();
  return {
    ...config,
    port: 0,
    host: '127.0.0.1',
    jobs: { stepMs: 80, steps: 6, failureRate: 0.3, ...overrides.jobs },
    server: { ...config.server, shutdown: { timeoutMs: 2000, retryWindowMs: 0 }, ...overrides.server },
    monitor: { ...config.monitor, intervalMs: 200 },
  };
}

/** A started demo app with repeatable job outcomes; `url` uses 127.0.0.1 and stays valid across restarts (same port). */
export async function startTestDemo(overrides: TestDemoOverrides = {}, seed = 7): Promise<{ app: DemoApp; url: string }> {
  const app = createDemoApp({ config: testDemoConfig(overrides), random: seededRandom(seed) });
  const server = await app.start();
  return { app, url: `http://127.0.0.1:${server.port}` };
}

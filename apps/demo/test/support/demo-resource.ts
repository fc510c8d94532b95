import { createDemoApp, type DemoApp } from '../../src/demo-app';
import { defaultDemoConfig, type DemoConfig } from '../../src/demo-config';
import { seededRandom } from './seeded-random';

/** Test settings: port 0 on 127.0.0.1, fast job pacing, short shutdown deadline. */
export function testDemoConfig(jobs: Partial<DemoConfig['jobs']> = {}): DemoConfig {
  const config = defaultDemoConfig();
  return {
    ...config,
    port: 0,
    host: '127.0.0.1',
    jobs: { stepMs: 80, steps: 6, failureRate: 0.3, ...jobs },
    server: { ...config.server, shutdown: { timeoutMs: 2000, retryWindowMs: 0 } },
    monitor: { ...config.monitor, intervalMs: 200 },
  };
}

/** A started demo app with repeatable outcomes; `url` uses 127.0.0.1 and survives restarts (same port). */
export async function startTestDemo(jobs: Partial<DemoConfig['jobs']> = {}, seed = 7): Promise<{ app: DemoApp; url: string }> {
  const app = createDemoApp({ config: testDemoConfig(jobs), random: seededRandom(seed) });
  const server = await app.start();
  return { app, url: `http://127.0.0.1:${server.port}` };
}

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoEntry, spawnDemo, type DemoProcess } from './support/demo-process';

let demo: DemoProcess | undefined;

beforeAll(async () => {
  await buildDemoEntry();
});

afterEach(async () => {
  // A test that failed half-way must not leave its process behind.
  await demo?.stop('SIGKILL');
  demo = undefined;
});

describe('the built demo entry (pnpm demo)', () => {
  it('prints the URL it bound on --port 0, serves the page and /healthz, and exits 0 on SIGINT after the shutdown', async () => {
    demo = await spawnDemo(['--port', '0']);
    expect(demo.port).toBeGreaterThan(0);
    expect(demo.url).toBe(`http://localhost:${demo.port}`);

    const page = await fetch(demo.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<script type="module" src="/bundle/page.js">');

    const health = await fetch(`${demo.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', connections: 0 });

    expect(await demo.stop('SIGINT')).toEqual({ code: 0, signal: null });
    expect(demo.output()).toContain('demo: SIGINT, sending shutdown notices and stopping');
  });

  it('on a port in use, exits 1 saying how to choose another', async () => {
    const first = await spawnDemo(['--port', '0']);
    demo = first;
    const busy = await spawnDemo(['--port', String(first.port)]).catch((error: unknown) => error);
    expect(String(busy)).toMatch(/exited \(code 1, signal null\)/);
    expect(String(busy)).toContain(`demo: port ${first.port} on 127.0.0.1 is already in use (another demo still running?). Choose another port: pnpm demo --port ${first.port + 1}, or PORT=${first.port + 1} pnpm demo`);
  });

  it('refuses an invalid flag with exit code 2 and the usage', async () => {
    await expect(spawnDemo(['--port', 'nope'])).rejects.toThrow(/exited \(code 2, signal null\)[\s\S]*--port=nope[\s\S]*Usage: pnpm demo/);
  });
});

import { JOB_SERVER_DEFAULTS } from '@org/ws-server';
import { describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS, DemoConfigError, FAST_LIFECYCLE, jobServerOptionsOf, parseDemoConfig } from './demo-config';

describe('parseDemoConfig', () => {
  it('uses port 3000, realistic pacing and the job server defaults without flags or environment', () => {
    const config = parseDemoConfig([], {});
    expect(config.port).toBe(3000);
    expect(config.jobs).toEqual(DEMO_DEFAULTS.jobs);
    expect(config.server).toEqual({ heartbeat: {}, session: {}, sweep: {}, rateLimit: {}, shutdown: {} });
    expect(jobServerOptionsOf(config)).toEqual({ heartbeat: {}, session: {}, sweep: {}, limits: { rateLimit: {} }, shutdown: {} });
  });

  it('takes the port from PORT and lets --port win over it', () => {
    expect(parseDemoConfig([], { PORT: '4100' }).port).toBe(4100);
    expect(parseDemoConfig(['--port', '4200'], { PORT: '4100' }).port).toBe(4200);
    expect(parseDemoConfig(['--port=0'], {}).port).toBe(0);
  });

  it('maps lifecycle flags and variables onto the job server options', () => {
    const config = parseDemoConfig(
      ['--heartbeat-interval', '2000', '--idle-timeout=9000', '--rate-limit', '5'],
      { DEMO_HEARTBEAT_TIMEOUT_MS: '700', DEMO_SESSION_TIMEOUT_MS: '30000', DEMO_SHUTDOWN_TIMEOUT_MS: '1500', DEMO_SWEEP_INTERVAL_MS: '500' },
    );
    expect(jobServerOptionsOf(config)).toEqual({
      heartbeat: { intervalMs: 2000, timeoutMs: 700 },
      session: { idleTimeoutMs: 9000, maxInactivityMs: 30_000 },
      sweep: { intervalMs: 500 },
      limits: { rateLimit: { events: 5 } },
      shutdown: { timeoutMs: 1500 },
    });
  });

  it('--fast and DEMO_FAST=1 shorten every lifecycle timer to seconds; explicit values still win', () => {
    expect(parseDemoConfig(['--fast'], {}).server).toEqual(FAST_LIFECYCLE);
    const config = parseDemoConfig(['--heartbeat-interval', '5000'], { DEMO_FAST: '1' });
    expect(config.server.heartbeat).toEqual({ intervalMs: 5000, timeoutMs: FAST_LIFECYCLE.heartbeat.timeoutMs });
    expect(config.server.session.idleTimeoutMs).toBeLessThan(JOB_SERVER_DEFAULTS.session.idleTimeoutMs / 100);
  });

  it('reads job pacing and the failure share', () => {
    const config = parseDemoConfig(['--step-ms', '50', '--steps', '3'], { DEMO_FAILURE_RATE: '0.5' });
    expect(config.jobs).toEqual({ stepMs: 50, steps: 3, failureRate: 0.5 });
  });

  it.each([
    [['--port', 'abc'], {}, '--port=abc'],
    [['--port', '70000'], {}, '--port=70000'],
    [[], { DEMO_FAILURE_RATE: '1.5' }, 'DEMO_FAILURE_RATE=1.5'],
    [['--heartbeat-interval=-1'], {}, '--heartbeat-interval=-1'],
    [['--step-ms', '0'], {}, '--step-ms=0'],
    [['--nope'], {}, 'nope'],
    [['stray'], {}, 'stray'],
  ])('refuses %j %j naming %s', (argv, env, named) => {
    expect(() => parseDemoConfig(argv, env)).toThrowError(DemoConfigError);
    expect(() => parseDemoConfig(argv, env)).toThrowError(named);
  });
});

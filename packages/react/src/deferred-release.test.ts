import { describe, expect, it, vi } from 'vitest';
import { DeferredRelease } from './deferred-release';

const nextMicrotask = () => new Promise<void>((resolve) => queueMicrotask(resolve));

describe('DeferredRelease', () => {
  it('releases one microtask after the last holder let go', async () => {
    const release = vi.fn();
    const lease = new DeferredRelease(release);
    lease.hold();
    lease.hold();
    lease.letGo();
    lease.letGo();
    expect(release).not.toHaveBeenCalled();
    expect(lease.held).toBe(false);
    await nextMicrotask();
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('keeps the resource when it is held again before the microtask (a StrictMode remount)', async () => {
    const release = vi.fn();
    const lease = new DeferredRelease(release);
    lease.hold();
    lease.letGo();
    lease.hold();
    await nextMicrotask();
    expect(release).not.toHaveBeenCalled();
    lease.letGo();
    await nextMicrotask();
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('releases once for several let-gos within one microtask', async () => {
    const release = vi.fn();
    const lease = new DeferredRelease(release);
    lease.hold();
    lease.letGo();
    lease.hold();
    lease.letGo();
    await nextMicrotask();
    expect(release).toHaveBeenCalledTimes(1);
  });
});

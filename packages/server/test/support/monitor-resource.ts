import { afterEach } from 'vitest';
import { createMemoryMonitor, type MemoryMonitor, type MemoryMonitorOptions, type MemoryReading } from '../../src/index';

/** A heap the test sets by hand, so that only the test decides when the heap alert fires. */
export function manualMemory(heapUsed = 100 * 1024 * 1024, rss = 200 * 1024 * 1024): { read: () => MemoryReading; set(heapUsedBytes: number): void } {
  let heap = heapUsed;
  return {
    read: () => ({ heapUsed: heap, rss }),
    set(heapUsedBytes) {
      heap = heapUsedBytes;
    },
  };
}

const monitors: MemoryMonitor[] = [];

/** Creates a monitor that is closed after the test. */
export function startMonitor(options: MemoryMonitorOptions): MemoryMonitor {
  const monitor = createMemoryMonitor(options);
  monitors.push(monitor);
  return monitor;
}

/** Closes every monitor started in a test; call once per test file. */
export function installMonitorCleanup(): void {
  afterEach(() => {
    for (const monitor of monitors.splice(0)) monitor.close();
  });
}

import { onTestFinished, vi } from 'vitest';

/** What {@link spyOnTimers} saw. */
export interface TimerSpy {
  /** The delay of every `setTimeout` armed, in order. */
  readonly delays: readonly number[];
  /** How many of those timers are still armed: neither fired nor cleared. */
  pending(): number;
}

/**
 * Watches every `setTimeout` armed in this process until the test ends (the client's, socket.io's, the server's),
 * calling through to the real ones. Node and browsers fire a delay above 2^31-1 ms at once, so each must stay within it;
 * and once a client closed and its server let go of the connection, none may stay armed.
 */
export function spyOnTimers(): TimerSpy {
  const delays: number[] = [];
  const armed = new Set<unknown>();
  // Node's timers convert to their numeric id, which `clearTimeout` also takes; browsers' are numbers already.
  const key = (handle: unknown): unknown => (typeof handle === 'object' && handle !== null ? Number(handle) : handle);
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const set = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: (...args: unknown[]) => void, delayMs?: number, ...args: unknown[]) => {
    delays.push(delayMs ?? 0);
    const handle = realSetTimeout(
      (...callbackArgs: unknown[]) => {
        armed.delete(key(handle));
        callback(...callbackArgs);
      },
      delayMs,
      ...args,
    );
    armed.add(key(handle));
    return handle;
  }) as typeof setTimeout);
  const clear = vi.spyOn(globalThis, 'clearTimeout').mockImplementation((handle) => {
    armed.delete(key(handle));
    realClearTimeout(handle);
  });
  onTestFinished(() => {
    set.mockRestore();
    clear.mockRestore();
  });
  return { delays, pending: () => armed.size };
}

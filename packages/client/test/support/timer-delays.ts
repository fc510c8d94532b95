import { onTestFinished, vi } from 'vitest';

/**
 * Records the delay of every `setTimeout` armed from now until the test ends (the client's, socket.io's), calling
 * through to the real one. Node and browsers fire a delay above 2^31-1 ms at once, so each must stay within it.
 */
export function recordTimerDelays(): number[] {
  const delays: number[] = [];
  const original = globalThis.setTimeout;
  const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, delayMs?: number, ...args: unknown[]) => {
    delays.push(delayMs ?? 0);
    return original(callback, delayMs, ...args);
  }) as typeof setTimeout);
  onTestFinished(() => spy.mockRestore());
  return delays;
}

import { MAX_REPLAY_UPDATES } from '@org/ws-protocol';
import { MAX_DURATION_MS } from '../options';

/** The settings of a job's history that a store or a publisher takes on its own, outside the server's options. */
export type HistoryLimit = 'bufferSize' | 'staleJobMs' | 'finishedJobRetentionMs';

/** What each setting may be, as the server's own options allow it. */
const BOUNDS: Record<HistoryLimit, { readonly min: number; readonly max: number }> = {
  // A replay holds at most MAX_REPLAY_UPDATES updates.
  bufferSize: { min: 1, max: MAX_REPLAY_UPDATES },
  staleJobMs: { min: 1, max: MAX_DURATION_MS },
  finishedJobRetentionMs: { min: 0, max: MAX_DURATION_MS },
};

/**
 * Throws a `RangeError` naming `name` (the option as the caller spells it) unless `value` is `undefined` (the default)
 * or a whole number within the setting's bounds. Checked before anything is written with it: Redis refuses a script
 * argument such as `NaN` or `0.5` midway through an append, after part of it was written.
 */
export function checkHistoryLimit(limit: HistoryLimit, value: unknown, name: string = limit): void {
  if (value === undefined) return;
  const { min, max } = BOUNDS[limit];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, got ${typeof value === 'number' ? value : typeof value}`);
  }
}

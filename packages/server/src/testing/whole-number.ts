import { TestKitOptionError } from './errors';

/** Checks that `value` is a whole number from `min` up; returns it. */
export function wholeNumber(option: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new TestKitOptionError(option, `must be a whole number from ${min} up (got ${String(value)})`);
  return value;
}

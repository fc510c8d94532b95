import { JobClientError } from './errors';

/**
 * Throws `INVALID_OPTIONS` unless `signal` is absent or an AbortSignal (anything with `aborted` and the listener
 * methods): a wrong one would fail only after the job was subscribed, and again as it is cleaned up.
 */
export function assertAbortSignal(signal: unknown, where: string): asserts signal is AbortSignal | undefined {
  if (signal === undefined) return;
  const candidate = signal as Partial<AbortSignal> | null;
  if (typeof candidate === 'object' && candidate !== null && typeof candidate.aborted === 'boolean' && typeof candidate.addEventListener === 'function' && typeof candidate.removeEventListener === 'function') return;
  throw new JobClientError('INVALID_OPTIONS', `${where}: options.signal must be an AbortSignal`);
}

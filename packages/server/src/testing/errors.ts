import type { ErrorCode } from '@org/ws-protocol';
import type { JobServerStats } from '@org/ws-server';

/** One registry above what it may hold. */
export interface Leftover {
  /** The `stats()` entry, or `timers`. */
  name: keyof JobServerStats;
  /** Its size. */
  count: number;
  /** The most it may hold. */
  allowed: number;
}

/** Thrown by `expectNoLeaks` when the server still holds something; the message names each registry and its count. */
export class JobServerLeakError extends Error {
  override name = 'JobServerLeakError';
  /** Every registry above what it may hold. */
  readonly leftovers: Leftover[];
  /** `stats()` when the wait ended. */
  readonly stats: JobServerStats;

  constructor(leftovers: Leftover[], stats: JobServerStats, timeoutMs: number) {
    const listed = leftovers.map(({ name, count, allowed }) => `${name} ${count}${allowed > 0 ? ` (allowed ${allowed})` : ''}`).join(', ');
    super(`the job server still holds, ${timeoutMs} ms after expectNoLeaks started: ${listed}`);
    this.leftovers = leftovers;
    this.stats = stats;
  }
}

/** Thrown when a test client could not connect, subscribe or receive what it waited for. */
export class TestClientError extends Error {
  override name = 'TestClientError';
  /** The protocol error code when the server refused (e.g. `UNAUTHORIZED`), else undefined. */
  readonly code: ErrorCode | undefined;

  constructor(message: string, code?: ErrorCode, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Thrown when an option of a testing helper is invalid; nothing was started. */
export class TestKitOptionError extends Error {
  override name = 'TestKitOptionError';
  /** The option, e.g. `count`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(`${option} ${message}`);
    this.option = option;
  }
}

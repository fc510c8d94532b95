import { safeLogger, silentLogger, type JobServerLogger } from '../logger';
import { resolveCloseTimeoutMs } from '../options';

/** Reconnect delay of the `index`-th of `count` clients, spread evenly over `windowMs` so they do not all come back at once. */
export function spreadRetryAfterMs(index: number, count: number, windowMs: number): number {
  if (count <= 1 || windowMs === 0) return 0;
  return Math.floor((windowMs * index) / count);
}

/** Slots over which `SHUTTING_DOWN` handshake refusals spread their `retryAfterMs`, in turn. */
const REFUSAL_SPREAD_SLOTS = 16;

/** The `retryAfterMs` of successive handshakes refused during a shutdown: the notices' spread over `windowMs`, one slot after the other. */
export function refusalRetryAfterMs(windowMs: number): () => number {
  let refused = 0;
  return () => spreadRetryAfterMs(refused++ % REFUSAL_SPREAD_SLOTS, REFUSAL_SPREAD_SLOTS, windowMs);
}

/** Resolves when `work` settles or `timeoutMs` passes, whichever comes first, and never leaves its timer behind. */
export async function withDeadline(work: Promise<unknown>, timeoutMs: number, onTimer: (armed: boolean) => void): Promise<'done' | 'deadline'> {
  let handle: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    handle = setTimeout(() => resolve('deadline'), timeoutMs);
    onTimer(true);
  });
  try {
    return await Promise.race([work.then(() => 'done' as const), deadline]);
  } finally {
    clearTimeout(handle);
    onTimer(false);
  }
}

/** Options of `closeOnSignals`. */
export interface CloseOnSignalsOptions {
  /** Signals that start a graceful close. @default ['SIGTERM', 'SIGINT'] */
  signals?: NodeJS.Signals[] | undefined;
  /** Deadline passed to `close()` (checked when `closeOnSignals` is called); the server's `shutdown.timeoutMs` when omitted. */
  timeoutMs?: number | undefined;
  /** Called once the server closed, or failed to. @default re-raises the signal so the process ends as it would have */
  onClosed?: ((signal: NodeJS.Signals) => void) | undefined;
  /** Called when `close()` rejects, before `onClosed`. @default logs the error with `logger.error` */
  onCloseError?: ((error: unknown, signal: NodeJS.Signals) => void) | undefined;
  /**
   * Where a failed close, and an `onClosed` or `onCloseError` that throws, are logged (pass the server's logger).
   * @default silent, as the server's own default
   */
  logger?: JobServerLogger | undefined;
}

/**
 * Closes the server gracefully on SIGTERM/SIGINT. Returns a function that removes the signal handlers.
 * @throws JobServerOptionsError (`option: 'timeoutMs'`) when `timeoutMs` is not a valid `close()` deadline.
 * @example
 * const stop = closeOnSignals(server);
 */
export function closeOnSignals(
  server: { close(options?: { timeoutMs?: number }): Promise<void> },
  options: CloseOnSignalsOptions = {},
): () => void {
  // Checked now: at SIGTERM a refused deadline would leave the process with nothing but a rejection.
  const closeOptions = options.timeoutMs === undefined ? {} : { timeoutMs: resolveCloseTimeoutMs({ timeoutMs: options.timeoutMs }, 0) };
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const logger = safeLogger(options.logger ?? silentLogger);
  const onClosed = options.onClosed ?? ((received: NodeJS.Signals) => process.kill(process.pid, received));
  const onCloseError =
    options.onCloseError ?? ((error: unknown, signal: NodeJS.Signals) => logger.error({ err: error, signal }, 'job server: close on signal failed'));
  /** Runs a callback of the application; one that throws is logged, never left as an unhandled rejection. */
  const guarded = (name: string, callback: () => void): void => {
    try {
      callback();
    } catch (error) {
      logger.error({ err: error }, `job server: ${name} threw`);
    }
  };
  const handler = (signal: NodeJS.Signals): void => {
    remove();
    void server
      .close(closeOptions)
      .catch((error: unknown) => guarded('onCloseError', () => onCloseError(error, signal)))
      .finally(() => guarded('onClosed', () => onClosed(signal)));
  };
  const remove = (): void => {
    for (const signal of signals) process.off(signal, handler);
  };
  for (const signal of signals) process.once(signal, handler);
  return remove;
}

/** One log method with pino's call shape: a context object first, then a message. */
export type LogMethod = (context: Record<string, unknown>, message: string) => void;

/** A logger with pino's call shape; pino itself fits, and so does `console` wrapped. */
export interface JobServerLogger {
  /** Detail useful while debugging. */
  debug?: LogMethod;
  /** Normal lifecycle events. */
  info: LogMethod;
  /** Something was refused or went wrong for one client. */
  warn: LogMethod;
  /** Something went wrong in the server or a hook. */
  error: LogMethod;
}

const noop: LogMethod = () => undefined;

/** The default logger: says nothing. */
export const silentLogger: JobServerLogger = { debug: noop, info: noop, warn: noop, error: noop };

/** Whether a method of a logger made by `safeLogger` writes anything, so that a caller on a hot path can skip building its context. */
export function logs(method: LogMethod): boolean {
  return method !== noop;
}

/** Wraps a user logger so that a logger that throws can never break the server; a missing or silent method stays silent. */
export function safeLogger(logger: JobServerLogger): Required<JobServerLogger> {
  const guard = (method: LogMethod | undefined): LogMethod =>
    method === undefined || method === noop
      ? noop
      : (context, message) => {
          try {
            method.call(logger, context, message);
          } catch {
            // A broken logger must not take the server down; there is nowhere left to report it.
          }
        };
  return { debug: guard(logger.debug), info: guard(logger.info), warn: guard(logger.warn), error: guard(logger.error) };
}

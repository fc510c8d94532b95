import * as z from 'zod/v4/mini';
import { silentLogger, type JobServerLogger } from './logger';

/** An option that must be a function; `what` is its call shape, quoted in the error. */
export const functionOption = <T>(what: string) => z.custom<T>((value) => typeof value === 'function', { error: `must be a function (${what})` });

/** The `logger` option of the server and the memory monitor: anything with pino's `info`, `warn` and `error`, silent when left out. */
export const loggerOption = z._default(
  z.custom<JobServerLogger>(
    (value: unknown) =>
      typeof value === 'object' &&
      value !== null &&
      ['info', 'warn', 'error'].every((level) => typeof (value as Record<string, unknown>)[level] === 'function'),
    { error: 'must have info, warn and error methods (pino call shape)' },
  ),
  silentLogger,
);

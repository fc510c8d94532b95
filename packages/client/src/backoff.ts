/** Exponential backoff settings; every delay is in milliseconds. */
export interface BackoffOptions {
  /** Ceiling of the first retry's delay. @default 500 */
  initialDelayMs: number;
  /** Largest ceiling any retry's delay can reach. @default 30000 */
  maxDelayMs: number;
  /** How much the ceiling grows per failed attempt. @default 2 */
  factor: number;
  /** Smallest delay ever used, so a refusing server is never hammered in a hot loop. @default 100 */
  minDelayMs: number;
}

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/** Ceiling of the delay before `attempt` (1-based): `initialDelayMs * factor^(attempt-1)`, capped at `maxDelayMs`. */
export function backoffCeilingMs(attempt: number, options: BackoffOptions): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = options.initialDelayMs * options.factor ** exponent;
  return Number.isFinite(ceiling) ? Math.min(options.maxDelayMs, ceiling) : options.maxDelayMs;
}

/**
 * Delay before `attempt` (1-based) with full jitter: uniform in [0, ceiling), floored at `minDelayMs`.
 * @example
 * backoffDelayMs(3, { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, minDelayMs: 100 }, Math.random); // 100..2000
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: RandomSource): number {
  const ceiling = backoffCeilingMs(attempt, options);
  return Math.round(Math.max(options.minDelayMs, Math.min(ceiling, random() * ceiling)));
}

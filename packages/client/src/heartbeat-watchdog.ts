import { timerDelayMs } from './timer-delay';

/** Heartbeat expectations; both in milliseconds. They apply until the server advertises its own timing. */
export interface HeartbeatOptions {
  /** How often the server is expected to send `heartbeat`, until its first heartbeat says. @default 30000 */
  intervalMs: number;
  /** Extra time allowed for a late heartbeat; once the server advertises its `timeoutMs`, the larger of the two. @default 10000 */
  graceMs: number;
}

/** The timing a server advertises in its heartbeats. */
export interface AdvertisedHeartbeat {
  /** The server's heartbeat interval. */
  intervalMs?: number | undefined;
  /** How long the server waits for an answer. */
  timeoutMs?: number | undefined;
}

/**
 * Declares the server dead when no heartbeat arrives within its bound of the last one (or of connecting): once a
 * heartbeat advertised the server's timing, the server's `intervalMs` plus the larger of its `timeoutMs` and `graceMs`;
 * before that, the configured `intervalMs + graceMs`.
 */
export class HeartbeatWatchdog {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private advertisedBoundMs: number | undefined;

  constructor(
    private readonly options: HeartbeatOptions | false,
    private readonly onDead: () => void,
  ) {}

  /** Starts or restarts the countdown; call on connect and on every heartbeat (with the timing it advertised). */
  arm(advertised?: AdvertisedHeartbeat): void {
    if (this.options === false) return;
    if (advertised?.intervalMs !== undefined && advertised.timeoutMs !== undefined) {
      this.advertisedBoundMs = advertised.intervalMs + Math.max(advertised.timeoutMs, this.options.graceMs);
    }
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onDead();
    }, this.boundMs);
  }

  /**
   * How long the server may stay silent: its advertised timing once known, the configured one before; at most what
   * `setTimeout` honours (each advertised figure is within it, their sum need not be).
   */
  get boundMs(): number {
    if (this.options === false) return Number.POSITIVE_INFINITY;
    return timerDelayMs(this.advertisedBoundMs ?? this.options.intervalMs + this.options.graceMs);
  }

  /** Stops the countdown and forgets the advertised timing (the next connection may reach another server). */
  stop(): void {
    this.clearTimer();
    this.advertisedBoundMs = undefined;
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

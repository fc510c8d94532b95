/** Heartbeat expectations; both in milliseconds. Match `intervalMs` to the server's heartbeat interval. */
export interface HeartbeatOptions {
  /** How often the server sends `heartbeat`. @default 30000 */
  intervalMs: number;
  /** Extra time allowed for a late heartbeat before the server is considered dead. @default 10000 */
  graceMs: number;
}

/** Declares the server dead when no heartbeat arrives within `intervalMs + graceMs` of the last one (or of connecting). */
export class HeartbeatWatchdog {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly options: HeartbeatOptions | false,
    private readonly onDead: () => void,
  ) {}

  /** Starts or restarts the countdown; call on connect and on every heartbeat. */
  arm(): void {
    if (this.options === false) return;
    this.stop();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onDead();
    }, this.options.intervalMs + this.options.graceMs);
  }

  /** Stops the countdown. */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

import type { ProtocolError } from '@org/ws-protocol';

/** Thrown when an option (of `createJobServer`, `listen()`, `close()`) or an argument of the server's API is invalid; `option` names it (e.g. `heartbeat.intervalMs`). */
export class JobServerOptionsError extends Error {
  override name = 'JobServerOptionsError';
  /** Dotted path of the offending option. */
  readonly option: string;

  constructor(option: string, message: string, options?: { cause?: unknown }) {
    super(`Invalid option "${option}": ${message}`, options);
    this.option = option;
  }
}

/** An `Error` carrying a protocol error as `data`, which Socket.IO forwards in `connect_error`. */
export class ConnectionRefusedError extends Error {
  override name = 'ConnectionRefusedError';
  /** The typed reason, delivered to the client as `err.data`. */
  readonly data: ProtocolError;

  constructor(error: ProtocolError) {
    super(error.message);
    this.data = error;
  }
}

/** Thrown by `createMemoryMonitor` when an option is invalid; `option` names it (e.g. `alerts.maxConnections`). */
export class MemoryMonitorOptionsError extends Error {
  override name = 'MemoryMonitorOptionsError';
  /** Dotted path of the offending option. */
  readonly option: string;

  constructor(option: string, message: string, options?: { cause?: unknown }) {
    super(`Invalid memory monitor option "${option}": ${message}`, options);
    this.option = option;
  }
}

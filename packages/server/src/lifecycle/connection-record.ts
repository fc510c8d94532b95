import type { CompactSet } from './compact-set';
import type { ConnectionRecord, JobSocket } from './connection-registry';
import { sinceOrigin } from './since-origin';

/** What a new connection's record is made from. */
export interface ConnectionRecordFields {
  socket: JobSocket;
  ip: string;
  principal: unknown;
  /** When the connection was accepted (ms since the epoch); also its first activity and sign of life. */
  connectedAt: number;
}

/**
 * Makes the records of one server, each keeping its times (and its rate-limit bucket's) as milliseconds since `origin`
 * (the server's start on its own clock): small integers, which V8 stores in the record itself where an epoch time would
 * take a heap number each (for about 24 days past `origin`; later ones are kept as heap numbers, with the same values).
 * They read and write as epoch times. The socket id is read from the socket rather than kept twice.
 */
export function connectionRecordFactory(origin: number): (fields: ConnectionRecordFields) => ConnectionRecord {
  class TimedConnectionRecord implements ConnectionRecord {
    readonly socket: JobSocket;
    readonly ip: string;
    readonly principal: unknown;
    subscriptions: CompactSet = undefined;
    readonly #connectedAt: number;
    #lastActivityAt: number;
    #lastAliveAt: number;
    #rateFullAt: number | undefined = undefined;

    constructor({ socket, ip, principal, connectedAt }: ConnectionRecordFields) {
      this.socket = socket;
      this.ip = ip;
      this.principal = principal;
      this.#connectedAt = sinceOrigin(connectedAt, origin);
      this.#lastActivityAt = this.#connectedAt;
      this.#lastAliveAt = this.#connectedAt;
    }

    get id(): string {
      return this.socket.id;
    }

    get connectedAt(): number {
      return this.#connectedAt + origin;
    }

    get lastActivityAt(): number {
      return this.#lastActivityAt + origin;
    }

    set lastActivityAt(at: number) {
      this.#lastActivityAt = sinceOrigin(at, origin);
    }

    get lastAliveAt(): number {
      return this.#lastAliveAt + origin;
    }

    set lastAliveAt(at: number) {
      this.#lastAliveAt = sinceOrigin(at, origin);
    }

    get rateFullAt(): number | undefined {
      return this.#rateFullAt === undefined ? undefined : this.#rateFullAt + origin;
    }

    set rateFullAt(at: number | undefined) {
      this.#rateFullAt = at === undefined ? undefined : sinceOrigin(at, origin);
    }
  }
  return (fields) => new TimedConnectionRecord(fields);
}

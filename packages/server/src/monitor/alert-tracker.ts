import type { AlertName, AlertReading } from './alert-rules';

/** An alert in force. */
export interface Alert {
  /** Which rule. */
  name: AlertName;
  /** The value at the latest sample. */
  value: number;
  /** The threshold it is above. */
  threshold: number;
  /** When it was raised (ms since the epoch). */
  since: number;
}

/** An alert that stopped holding. */
export interface ClearedAlert extends Alert {
  /** When the first sample below the threshold was taken. */
  clearedAt: number;
}

/** What changed with one sample: alerts that started holding and alerts that stopped. */
export interface AlertChanges {
  /** Newly raised (not repeated while they hold). */
  raised: Alert[];
  /** Newly cleared. */
  cleared: ClearedAlert[];
}

/** Remembers which alerts hold, so each is raised once per episode and cleared once. */
export class AlertTracker {
  readonly #active = new Map<AlertName, Alert>();

  /** Applies the readings of one sample taken at `at`. */
  update(readings: readonly AlertReading[], at: number): AlertChanges {
    const changes: AlertChanges = { raised: [], cleared: [] };
    for (const { name, value, threshold, breached } of readings) {
      const alert = this.#active.get(name);
      if (breached && alert) {
        alert.value = value;
        alert.threshold = threshold;
      } else if (breached) {
        const raised: Alert = { name, value, threshold, since: at };
        this.#active.set(name, raised);
        changes.raised.push({ ...raised });
      } else if (alert) {
        this.#active.delete(name);
        changes.cleared.push({ ...alert, value, clearedAt: at });
      }
    }
    return changes;
  }

  /** Alerts in force, as copies. */
  active(): Alert[] {
    return [...this.#active.values()].map((alert) => ({ ...alert }));
  }

  /** Names of the alerts in force. */
  names(): AlertName[] {
    return [...this.#active.keys()];
  }
}

/** Every alert the memory monitor raises, in the order it checks them. */
export const ALERT_NAMES = ['connections', 'heap', 'inactive-ratio', 'processing-jobs'] as const;

/** Name of a memory monitor alert. */
export type AlertName = (typeof ALERT_NAMES)[number];

/** Alert thresholds; an alert holds while its value is strictly above its threshold. */
export interface AlertThresholds {
  /** Live connections. */
  maxConnections: number;
  /** Heap used, as a multiple of the heap baseline. */
  heapGrowthRatio: number;
  /** Share of connections that the server considers inactive (0..1). */
  maxInactiveRatio: number;
  /** Jobs not in a terminal status. */
  maxProcessingJobs: number;
}

/** The figures of one sample that the rules look at. */
export interface AlertInputs {
  /** Live connections. */
  connections: number;
  /** V8 heap in use. */
  heapUsedBytes: number;
  /** Heap in use after start-up, the reference for `heapGrowthRatio`. */
  heapBaselineBytes: number;
  /** Inactive connections / connections (0 without connections). */
  inactiveRatio: number;
  /** Jobs not in a terminal status. */
  processingJobs: number;
}

/** One rule's verdict on one sample. */
export interface AlertReading {
  /** The rule. */
  name: AlertName;
  /** What was measured. */
  value: number;
  /** What it is compared with (for `heap`: baseline × ratio, in bytes). */
  threshold: number;
  /** `value > threshold`. */
  breached: boolean;
}

const reading = (name: AlertName, value: number, threshold: number): AlertReading => ({ name, value, threshold, breached: value > threshold });

/** Applies every alert rule (SPEC §2) to one sample. */
export function evaluateAlerts(inputs: AlertInputs, thresholds: AlertThresholds): AlertReading[] {
  return [
    reading('connections', inputs.connections, thresholds.maxConnections),
    reading('heap', inputs.heapUsedBytes, Math.round(inputs.heapBaselineBytes * thresholds.heapGrowthRatio)),
    reading('inactive-ratio', inputs.inactiveRatio, thresholds.maxInactiveRatio),
    reading('processing-jobs', inputs.processingJobs, thresholds.maxProcessingJobs),
  ];
}

import { createHook } from 'node:async_hooks';

/** Node's own mark on a `Timeout` that fired (and does not repeat) or was cleared; its destroy hook runs later. */
interface NodeTimeout extends NodeJS.Timeout {
  readonly _destroyed?: boolean;
}

/** A `Timeout` seen being created, with where it was created. */
interface TimerRecord {
  readonly serial: number;
  readonly timer: WeakRef<NodeTimeout>;
  readonly stack: string;
}

/** Frames this deep show the caller past Node's timer internals and the library that set the timer. */
const STACK_DEPTH = 40;

/** Frames of the test runner itself: a timer whose first frame outside Node is one of these is the runner's own. */
const RUNNER_FRAME = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?(?:@vitest|vitest|tinypool|tinyspy)\//;

const records = new Map<number, TimerRecord>();
let serial = 0;

const isNodeFrame = (line: string): boolean => line.includes('(node:') || line.includes(' node:');

/** Where the timer was created, from its caller of `setTimeout`/`setInterval` on (Node's timer frames left out). */
function creationStack(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = STACK_DEPTH;
  try {
    const frames = (new Error().stack ?? '').split('\n').slice(1);
    return frames.slice(frames.findIndex((line) => !isNodeFrame(line) && !line.includes('support/timer-owners.ts'))).join('\n');
  } finally {
    Error.stackTraceLimit = limit;
  }
}

const hook = createHook({
  init(asyncId, type, _triggerAsyncId, resource) {
    if (type !== 'Timeout') return;
    serial += 1;
    records.set(asyncId, { serial, timer: new WeakRef(resource as NodeTimeout), stack: creationStack() });
  },
  // A Timeout is destroyed once it fired (and does not repeat) or was cleared.
  destroy(asyncId) {
    records.delete(asyncId);
  },
});

/** Starts recording where each `Timeout` is created (idempotent). */
export function trackTimerOwners(): void {
  hook.enable();
}

/** A mark to pass to `liveTimerStacks`: timers created before it are left out. */
export function timerMark(): number {
  return serial;
}

function isRunnersOwn(stack: string): boolean {
  return RUNNER_FRAME.test(stack.split('\n')[0] ?? '');
}

/**
 * Creation stacks of the `Timeout`s created since `mark` that still keep the process alive (not fired, not cleared,
 * not unref'd), leaving out the test runner's own.
 */
export function liveTimerStacks(mark: number): string[] {
  const stacks: string[] = [];
  for (const [asyncId, { serial: created, timer, stack }] of records) {
    const alive = timer.deref();
    if (alive === undefined) {
      records.delete(asyncId);
      continue;
    }
    if (created > mark && !alive._destroyed && alive.hasRef() && !isRunnersOwn(stack)) stacks.push(stack);
  }
  return stacks;
}

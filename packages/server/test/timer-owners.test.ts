import { afterEach, describe, expect, it } from 'vitest';
import { liveTimerStacks, timerMark, trackTimerOwners } from './support/timer-owners';

const armed: NodeJS.Timeout[] = [];

function armForgottenTimer(): NodeJS.Timeout {
  const timer = setTimeout(() => undefined, 60_000);
  armed.push(timer);
  return timer;
}

function rearmFiredTimer(timer: NodeJS.Timeout): void {
  timer.refresh();
}

describe('the timer owners the leak check names', () => {
  trackTimerOwners();

  afterEach(() => {
    for (const timer of armed.splice(0)) clearTimeout(timer);
  });

  it('names the function that created a timer still active, until it is cleared', () => {
    const mark = timerMark();
    const timer = armForgottenTimer();
    const stacks = liveTimerStacks(mark);
    expect(stacks).toHaveLength(1);
    expect(stacks[0]).toContain('armForgottenTimer');
    clearTimeout(timer);
    expect(liveTimerStacks(mark)).toEqual([]);
  });

  it('leaves out timers created before the mark and timers that do not keep the process alive', () => {
    armForgottenTimer();
    const mark = timerMark();
    armForgottenTimer().unref();
    expect(liveTimerStacks(mark)).toEqual([]);
  });

  it('names a timer that fired and was re-armed with refresh(), by where it was re-armed (Node counts it as a new Timeout)', async () => {
    const timer = await new Promise<NodeJS.Timeout>((resolve) => {
      const fired: NodeJS.Timeout = setTimeout(() => resolve(fired), 0);
      armed.push(fired);
    });
    const mark = timerMark();
    expect(liveTimerStacks(mark)).toEqual([]);
    rearmFiredTimer(timer);
    const stacks = liveTimerStacks(mark);
    expect(stacks).toHaveLength(1);
    expect(stacks[0]).toContain('rearmFiredTimer');
  });

  it('forgets a timer once it fired', async () => {
    const mark = timerMark();
    await new Promise((resolve) => armed.push(setTimeout(resolve, 0)));
    expect(liveTimerStacks(mark)).toEqual([]);
  });
});

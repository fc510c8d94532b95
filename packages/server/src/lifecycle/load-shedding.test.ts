import { describe, expect, it } from 'vitest';
import { HealthReasons } from '../health';
import { LoadShedding } from './load-shedding';

describe('LoadShedding', () => {
  it('sheds for heap above heapUsedBytes and stops only once the heap is back under 90 % of it', () => {
    let heapUsed = 0;
    const health = new HealthReasons();
    const shedding = new LoadShedding({ heapUsedBytes: 1000, retryAfterMs: 2000, readHeapUsed: () => heapUsed, health, random: () => 0.5 });
    const at = (bytes: number): string[] => {
      heapUsed = bytes;
      shedding.tick();
      return shedding.reasons();
    };
    expect(at(1000)).toEqual([]);
    expect(at(1001)).toEqual(['heap']);
    expect(health.list()).toEqual(['overloaded:heap']);
    expect(shedding.retryAfterMs()).toBe(3000);
    // Between 90 % and the threshold the reason holds: the heap hovering at the threshold does not flap.
    expect(at(950)).toEqual(['heap']);
    expect(at(1001)).toEqual(['heap']);
    expect(at(901)).toEqual(['heap']);
    expect(at(900)).toEqual([]);
    expect(health.list()).toEqual([]);
    expect(shedding.retryAfterMs()).toBeUndefined();
    // Below the threshold again it does not start before the heap passes it.
    expect(at(950)).toEqual([]);
  });

  it('leaves the heap alone without heapUsedBytes, and keeps a reason of its own apart from the heap check', () => {
    const health = new HealthReasons();
    const shedding = new LoadShedding({ heapUsedBytes: undefined, retryAfterMs: 2000, readHeapUsed: () => Number.MAX_SAFE_INTEGER, health, random: () => 0 });
    shedding.tick();
    expect(shedding.reasons()).toEqual([]);
    shedding.start('event-loop-lag');
    expect(shedding.retryAfterMs()).toBe(2000);
    shedding.stop('event-loop-lag');
    expect(shedding.reasons()).toEqual([]);
    expect(health.list()).toEqual([]);
  });

  it('keeps a reason in force while any hold or start of it is, each ended only by its own release or stop', () => {
    const health = new HealthReasons();
    const shedding = new LoadShedding({ heapUsedBytes: undefined, retryAfterMs: 2000, readHeapUsed: () => 0, health, random: () => 0 });
    const inForce = (): [string[], string[]] => [shedding.reasons(), health.list()];
    const releaseFirst = shedding.hold('heap-alert');
    const releaseSecond = shedding.hold('heap-alert');
    expect(inForce()).toEqual([['heap-alert'], ['overloaded:heap-alert']]);
    releaseFirst();
    releaseFirst();
    expect(inForce()).toEqual([['heap-alert'], ['overloaded:heap-alert']]);
    // A stop ends only what a start began.
    shedding.start('heap-alert');
    shedding.stop('heap-alert');
    expect(inForce()).toEqual([['heap-alert'], ['overloaded:heap-alert']]);
    shedding.stop('heap-alert');
    expect(inForce()).toEqual([['heap-alert'], ['overloaded:heap-alert']]);
    releaseSecond();
    expect(inForce()).toEqual([[], []]);
    expect(shedding.retryAfterMs()).toBeUndefined();
    // A hold released while a start is in force leaves the start alone.
    shedding.start('event-loop-lag');
    shedding.hold('event-loop-lag')();
    expect(inForce()).toEqual([['event-loop-lag'], ['overloaded:event-loop-lag']]);
    shedding.stop('event-loop-lag');
    expect(inForce()).toEqual([[], []]);
  });

  it('ignores a release of a hold already released, even once the reason is held again', () => {
    const health = new HealthReasons();
    const shedding = new LoadShedding({ heapUsedBytes: undefined, retryAfterMs: 2000, readHeapUsed: () => 0, health, random: () => 0 });
    const stale = shedding.hold('lag');
    stale();
    const current = shedding.hold('lag');
    stale();
    expect(shedding.reasons()).toEqual(['lag']);
    expect(health.list()).toEqual(['overloaded:lag']);
    current();
    expect(shedding.reasons()).toEqual([]);
  });

  it('lists the reasons in the order they began, started or held, as health does', () => {
    const health = new HealthReasons();
    const shedding = new LoadShedding({ heapUsedBytes: undefined, retryAfterMs: 2000, readHeapUsed: () => 0, health, random: () => 0 });
    const release = shedding.hold('heap');
    shedding.start('lag');
    shedding.hold('alert');
    expect(shedding.reasons()).toEqual(['heap', 'lag', 'alert']);
    expect(health.list()).toEqual(['overloaded:heap', 'overloaded:lag', 'overloaded:alert']);
    release();
    shedding.hold('heap');
    expect(shedding.reasons()).toEqual(['lag', 'alert', 'heap']);
    expect(health.list()).toEqual(['overloaded:lag', 'overloaded:alert', 'overloaded:heap']);
  });

  it("keeps its own heap check apart from the application's stop of `heap`", () => {
    const health = new HealthReasons();
    let heapUsed = 2000;
    const shedding = new LoadShedding({ heapUsedBytes: 1000, retryAfterMs: 2000, readHeapUsed: () => heapUsed, health, random: () => 0 });
    shedding.tick();
    shedding.tick();
    shedding.stop('heap');
    expect(shedding.reasons()).toEqual(['heap']);
    expect(health.list()).toEqual(['overloaded:heap']);
    heapUsed = 900;
    shedding.tick();
    expect(shedding.reasons()).toEqual([]);
    expect(health.list()).toEqual([]);
  });
});

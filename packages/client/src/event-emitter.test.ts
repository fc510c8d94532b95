import { describe, expect, it, vi } from 'vitest';
import { EventEmitter } from './event-emitter';

interface Events {
  ping: (n: number) => void;
}

describe('EventEmitter', () => {
  it('on() returns the function that removes exactly that listener', () => {
    const emitter = new EventEmitter<Events>();
    const listener = vi.fn();
    const off = emitter.on('ping', listener);
    emitter.on('ping', listener);
    emitter.emit('ping', 1);
    off();
    emitter.emit('ping', 2);
    expect(listener.mock.calls).toEqual([[1], [1], [2]]);
    emitter.clear();
    emitter.emit('ping', 3);
    expect(listener).toHaveBeenCalledTimes(3);
  });

  it('keeps calling the other listeners when one throws, and rethrows asynchronously', () => {
    const emitter = new EventEmitter<Events>();
    const after = vi.fn();
    const boom = new Error('listener bug');
    emitter.on('ping', () => {
      throw boom;
    });
    emitter.on('ping', after);
    const tasks: Array<() => void> = [];
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => {
      tasks.push(task);
    });
    try {
      expect(() => emitter.emit('ping', 1)).not.toThrow();
    } finally {
      spy.mockRestore();
    }
    expect(after).toHaveBeenCalledWith(1);
    expect(tasks).toHaveLength(1);
    expect(() => tasks[0]!()).toThrow(boom);
  });

  it.each([['a string', 'ping'], ['an object', {}], ['null', null]])('refuses %s as a listener with INVALID_OPTIONS, registering nothing', (_kind, listener) => {
    const emitter = new EventEmitter<{ ping: (n: number) => void }>();
    expect(() => emitter.on('ping', listener as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringContaining("on('ping')") }));
    expect(() => emitter.emit('ping', 1)).not.toThrow();
  });
});

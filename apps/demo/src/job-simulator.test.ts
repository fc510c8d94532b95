import { ErrorCode, JobProtocolError, isTerminal, type JobUpdateInput } from '@org/ws-protocol';
import { MemoryJobStore } from '@org/ws-server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createJobSimulator, SimulatorFullError, type JobSimulator, type PublishUpdate } from './job-simulator';

let simulator: JobSimulator | undefined;
afterEach(() => {
  simulator?.close();
  simulator = undefined;
});

/** Publishes into a real in-memory store and records the order of updates per job. */
function recordingStore() {
  const store = new MemoryJobStore();
  const published = new Map<string, JobUpdateInput[]>();
  const publish: PublishUpdate = async (jobId, input) => {
    const update = await store.append(jobId, input, Date.now());
    published.set(jobId, [...(published.get(jobId) ?? []), input]);
    return update;
  };
  return { store, published, publish };
}

describe('createJobSimulator', () => {
  it('moves each job from queued through running steps to completed, progress never going back', async () => {
    const { store, published, publish } = recordingStore();
    simulator = createJobSimulator({ publish, stepMs: 2, steps: 4, failureRate: 0 });
    const ids = simulator.start(3);
    expect(new Set(ids).size).toBe(3);
    await vi.waitFor(() => expect(simulator?.activeJobs).toBe(0), { timeout: 5000 });
    for (const jobId of ids) {
      const updates = published.get(jobId) ?? [];
      expect(updates.map((u) => u.status)).toEqual(['queued', 'running', 'running', 'running', 'running', 'completed']);
      const progress = updates.map((u) => u.progress ?? 0);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(progress.at(-1)).toBe(100);
      expect((await store.get(jobId))?.seq).toBe(6);
    }
  });

  it('fails the share of jobs it is told to, with the error in data', async () => {
    const { store, publish } = recordingStore();
    simulator = createJobSimulator({ publish, stepMs: 1, steps: 3, failureRate: 1 });
    const ids = simulator.start(4);
    await vi.waitFor(() => expect(simulator?.activeJobs).toBe(0), { timeout: 5000 });
    const finals = await Promise.all(ids.map((id) => store.get(id)));
    for (const final of finals) {
      expect(final?.status).toBe('failed');
      expect(final?.data).toMatchObject({ error: 'simulated failure' });
    }
  });

  it('publishes a refused update again, so jobs carry on after a server restart', async () => {
    const { store, publish } = recordingStore();
    let down = true;
    const attempts: string[] = [];
    simulator = createJobSimulator({
      publish: (jobId, input) => {
        attempts.push(input.status);
        if (down) return Promise.reject(new JobProtocolError({ code: ErrorCode.SHUTTING_DOWN, message: 'restarting' }));
        return publish(jobId, input);
      },
      stepMs: 1,
      steps: 2,
      failureRate: 0,
      retryMs: 5,
    });
    const [jobId] = simulator.start(1);
    await vi.waitFor(() => expect(attempts.length).toBeGreaterThanOrEqual(2));
    expect((await store.get(jobId!))).toBeNull();
    down = false;
    await vi.waitFor(() => expect(simulator?.activeJobs).toBe(0), { timeout: 5000 });
    expect((await store.get(jobId!))?.status).toBe('completed');
  });

  it('gives a job up when the store refuses its update for good (INVALID_PAYLOAD)', async () => {
    const publish = vi.fn<PublishUpdate>(() => Promise.reject(new JobProtocolError({ code: ErrorCode.INVALID_PAYLOAD, message: 'ended' })));
    simulator = createJobSimulator({ publish, stepMs: 1, retryMs: 1 });
    simulator.start(1);
    await vi.waitFor(() => expect(simulator?.activeJobs).toBe(0));
    expect(publish).toHaveBeenCalledTimes(1);
  });

  it('refuses more than maxActiveJobs and bad counts', () => {
    simulator = createJobSimulator({ publish: () => new Promise(() => undefined), maxActiveJobs: 3 });
    simulator.start(2);
    expect(() => simulator?.start(2)).toThrowError(SimulatorFullError);
    expect(() => simulator?.start(0)).toThrowError(RangeError);
    expect(() => simulator?.start(1.5)).toThrowError(RangeError);
    expect(simulator.activeJobs).toBe(2);
  });

  it('stops every job where it is on close()', async () => {
    const { store, publish } = recordingStore();
    simulator = createJobSimulator({ publish, stepMs: 10_000, failureRate: 0 });
    const [jobId] = simulator.start(1);
    await vi.waitFor(async () => expect((await store.get(jobId!))?.status).toBe('queued'));
    simulator.close();
    expect(simulator.activeJobs).toBe(0);
    expect(() => simulator?.start(1)).toThrowError(SimulatorFullError);
    const final = await store.get(jobId!);
    expect(final && isTerminal(final.status)).toBe(false);
  });
});

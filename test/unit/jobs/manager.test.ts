import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LighterError } from '../../../src-main/core/errors';
import { JobManager } from '../../../src-main/core/jobs/manager';
import type { JobInfo } from '../../../src-main/core/jobs/types';

describe('JobManager', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs a job to its result and emits start and end at once', async () => {
    const jobs = new JobManager();
    const events: JobInfo[] = [];
    jobs.subscribe((j) => events.push(j));
    const started = jobs.start('test', 'Answer', async () => 42);
    expect(started.state).toBe('running');
    const done = await jobs.wait(started.id);
    expect(done.state).toBe('succeeded');
    expect(done.result).toBe(42);
    expect(events.map((e) => e.state)).toEqual(['running', 'succeeded']);
    expect(jobs.get(started.id)?.endedAt).toBeTypeOf('number');
  });

  it('throttles progress to at most one event per window per job', async () => {
    const jobs = new JobManager({ throttleMs: 100 });
    const events: JobInfo[] = [];
    jobs.subscribe((j) => events.push(j));
    let finish!: () => void;
    const job = jobs.start(
      'test',
      'Busy',
      (ctx) =>
        new Promise<void>((resolve) => {
          finish = resolve;
          for (let i = 1; i <= 1000; i++) ctx.progress({ current: i, total: 1000 });
        }),
    );
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(1000);
    const progressEvents = events.filter((e) => e.state === 'running').length - 1;
    expect(progressEvents).toBeGreaterThanOrEqual(1);
    expect(progressEvents).toBeLessThanOrEqual(11);
    const last = events.filter((e) => e.state === 'running').at(-1)!;
    expect(last.progress.current).toBe(1000);
    finish();
    await jobs.wait(job.id);
  });

  it('bounds a stream of updates over time to 10 events per second', async () => {
    const jobs = new JobManager({ throttleMs: 100 });
    const times: number[] = [];
    let stop = false;
    const job = jobs.start('test', 'Stream', async (ctx) => {
      for (let i = 0; !stop; i++) {
        ctx.progress({ current: i });
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    jobs.subscribe((j) => j.state === 'running' && times.push(Date.now()));
    await vi.advanceTimersByTimeAsync(2000);
    stop = true;
    await vi.advanceTimersByTimeAsync(10);
    await jobs.wait(job.id);
    expect(times.length).toBeGreaterThanOrEqual(15);
    expect(times.length).toBeLessThanOrEqual(21);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(100);
  });

  it('cancels through the AbortSignal and reports CANCELLED', async () => {
    const jobs = new JobManager();
    const job = jobs.start(
      'test',
      'Long',
      (ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        }),
    );
    expect(jobs.cancel(job.id)).toBe(true);
    const done = await jobs.wait(job.id);
    expect(done.state).toBe('cancelled');
    expect(done.error?.code).toBe('CANCELLED');
    expect(jobs.cancel(job.id)).toBe(false);
  });

  it('keeps typed errors of a failed job', async () => {
    const jobs = new JobManager();
    const job = jobs.start('test', 'Fails', async () => {
      throw new LighterError('NOT_FOUND', 'No such image: nope', { image: 'nope' });
    });
    const done = await jobs.wait(job.id);
    expect(done.state).toBe('failed');
    expect(done.error).toEqual({ code: 'NOT_FOUND', message: 'No such image: nope', details: { image: 'nope' } });
  });

  it('computes speed and time left for byte jobs', async () => {
    const jobs = new JobManager({ throttleMs: 100 });
    const seen: JobInfo[] = [];
    jobs.subscribe((j) => seen.push(j));
    let bytes = 0;
    let stop = false;
    const job = jobs.start(
      'test',
      'Download',
      async (ctx) => {
        while (!stop) {
          bytes += 1000;
          ctx.progress({ current: bytes, total: 100_000 });
          await new Promise((r) => setTimeout(r, 10));
        }
      },
      'bytes',
    );
    await vi.advanceTimersByTimeAsync(1500);
    stop = true;
    await vi.advanceTimersByTimeAsync(20);
    await jobs.wait(job.id);
    const withRate = seen.filter((j) => j.progress.rate !== undefined).at(-1)!;
    // 1000 bytes every 10 ms = 100 kB/s.
    expect(withRate.progress.rate).toBeGreaterThan(80_000);
    expect(withRate.progress.rate).toBeLessThan(120_000);
    expect(withRate.progress.etaSeconds).toBeGreaterThanOrEqual(0);
    expect(seen.at(-1)!.progress.rate).toBeUndefined();
  });

  it('reports items and forgets finished jobs on clear', async () => {
    const jobs = new JobManager({ throttleMs: 0 });
    const job = jobs.start('test', 'Items', async (ctx) => {
      ctx.item({ id: 'a', label: 'layer a', status: 'done' });
      ctx.item({ id: 'a', label: 'layer a', status: 'verified' });
      ctx.item({ id: 'b', label: 'layer b', status: 'waiting' });
    });
    const done = await jobs.wait(job.id);
    expect(done.progress.items).toEqual([
      { id: 'a', label: 'layer a', status: 'verified' },
      { id: 'b', label: 'layer b', status: 'waiting' },
    ]);
    jobs.clearFinished();
    expect(jobs.list()).toEqual([]);
    await expect(jobs.wait(job.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

import { randomUUID } from 'node:crypto';
import { LighterError, toErrorValue } from '../errors';
import type { JobInfo, JobItem, JobProgress } from './types';

export interface JobContext {
  signal: AbortSignal;
  /** Report progress; cheap to call often, events are throttled. */
  progress(update: Partial<JobProgress>): void;
  /** Create or update one item (a layer, an image…). */
  item(item: JobItem): void;
}

export type JobListener = (job: JobInfo) => void;

export interface JobManagerOptions {
  /** Minimum time between two progress events of one job; 100 ms = at most 10 per second. */
  throttleMs?: number;
  /** Finished jobs kept for the Jobs panel. */
  keepFinished?: number;
  now?: () => number;
}

interface Entry {
  info: JobInfo;
  items: Map<string, JobItem>;
  controller: AbortController;
  done: Promise<JobInfo>;
  lastEmit: number;
  timer?: ReturnType<typeof setTimeout>;
  samples: { t: number; bytes: number }[];
}

/**
 * The one mechanism for every long operation: start → id, throttled progress events, cancel through
 * an AbortSignal, then a final result or a typed error. State changes are emitted at once; progress
 * in between is coalesced so a job never sends more than one event per throttle window.
 */
export class JobManager {
  private readonly jobs = new Map<string, Entry>();
  private readonly listeners = new Set<JobListener>();
  private readonly throttleMs: number;
  private readonly keepFinished: number;
  private readonly now: () => number;

  constructor(options: JobManagerOptions = {}) {
    this.throttleMs = options.throttleMs ?? 100;
    this.keepFinished = options.keepFinished ?? 200;
    this.now = options.now ?? Date.now;
  }

  start<T>(kind: string, title: string, run: (ctx: JobContext) => Promise<T>, unit: JobProgress['unit'] = 'items'): JobInfo {
    const controller = new AbortController();
    const info: JobInfo = {
      id: randomUUID(),
      kind,
      title,
      state: 'running',
      progress: { current: 0, unit },
      startedAt: this.now(),
    };
    const entry: Entry = { info, items: new Map(), controller, lastEmit: 0, samples: [], done: Promise.resolve(info) };
    this.jobs.set(info.id, entry);

    const ctx: JobContext = {
      signal: controller.signal,
      progress: (update) => {
        if (entry.info.state !== 'running') return;
        entry.info = { ...entry.info, progress: { ...entry.info.progress, ...update } };
        this.schedule(entry);
      },
      item: (item) => {
        if (entry.info.state !== 'running') return;
        entry.items.set(item.id, item);
        this.schedule(entry);
      },
    };

    this.emit(entry);
    entry.done = startNow(run, ctx).then(
        (result) => this.finish(entry, controller.signal.aborted ? 'cancelled' : 'succeeded', result),
        (error: unknown) => {
          const value = controller.signal.aborted ? new LighterError('CANCELLED', 'Cancelled').toValue() : toErrorValue(error);
          return this.finish(entry, value.code === 'CANCELLED' ? 'cancelled' : 'failed', undefined, value);
        },
      );
    return entry.info;
  }

  /** Cancels a running job; false when there is no such running job. */
  cancel(id: string): boolean {
    const entry = this.jobs.get(id);
    if (!entry || entry.info.state !== 'running') return false;
    entry.controller.abort(new LighterError('CANCELLED', 'Cancelled'));
    return true;
  }

  get(id: string): JobInfo | undefined {
    return this.jobs.get(id)?.info;
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((e) => e.info);
  }

  /** Resolves with the final state of a job (never rejects). */
  wait(id: string): Promise<JobInfo> {
    const entry = this.jobs.get(id);
    if (!entry) return Promise.reject(new LighterError('NOT_FOUND', `No such job: ${id}`));
    return entry.done;
  }

  /** Forgets finished jobs (the Jobs panel's "Clear"). */
  clearFinished(): void {
    for (const [id, e] of this.jobs) if (e.info.state !== 'running') this.jobs.delete(id);
  }

  subscribe(listener: JobListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Cancels everything still running (on quit). */
  cancelAll(): void {
    for (const id of this.jobs.keys()) this.cancel(id);
  }

  private finish(entry: Entry, state: JobInfo['state'], result?: unknown, error?: JobInfo['error']): JobInfo {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    const progress = this.withItems(entry);
    if (state === 'succeeded' && progress.total !== undefined) progress.current = progress.total;
    delete progress.rate;
    delete progress.etaSeconds;
    entry.info = { ...entry.info, state, progress, endedAt: this.now(), result, error };
    this.emit(entry);
    this.trim();
    return entry.info;
  }

  private schedule(entry: Entry): void {
    if (entry.timer) return;
    const wait = Math.max(0, entry.lastEmit + this.throttleMs - this.now());
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (entry.info.state !== 'running') return;
      entry.info = { ...entry.info, progress: this.withRate(entry, this.withItems(entry)) };
      this.emit(entry);
    }, wait);
  }

  private withItems(entry: Entry): JobProgress {
    const progress = { ...entry.info.progress };
    if (entry.items.size) progress.items = [...entry.items.values()];
    return progress;
  }

  /** Speed over the last few seconds and the time left at that speed. */
  private withRate(entry: Entry, progress: JobProgress): JobProgress {
    if (progress.unit !== 'bytes') return progress;
    const t = this.now();
    entry.samples.push({ t, bytes: progress.current });
    while (entry.samples.length > 2 && t - entry.samples[0].t > 5000) entry.samples.shift();
    const first = entry.samples[0];
    const seconds = (t - first.t) / 1000;
    if (seconds > 0.2) {
      progress.rate = (progress.current - first.bytes) / seconds;
      if (progress.total !== undefined && progress.rate > 0) {
        progress.etaSeconds = Math.max(0, (progress.total - progress.current) / progress.rate);
      }
    }
    return progress;
  }

  private emit(entry: Entry): void {
    entry.lastEmit = this.now();
    for (const listener of this.listeners) {
      try {
        listener(entry.info);
      } catch {
        // A listener's failure must not break the job or the other listeners.
      }
    }
  }

  private trim(): void {
    const finished = [...this.jobs.values()].filter((e) => e.info.state !== 'running');
    for (const e of finished.slice(0, Math.max(0, finished.length - this.keepFinished))) this.jobs.delete(e.info.id);
  }
}

/** Starts the work synchronously, so it sees a cancel that comes right after start(). */
function startNow<T>(run: (ctx: JobContext) => Promise<T>, ctx: JobContext): Promise<T> {
  try {
    return Promise.resolve(run(ctx));
  } catch (e) {
    return Promise.reject(e);
  }
}

import { create } from 'zustand';
import type { JobInfo } from '../../src-main/core/jobs/types';
import { call } from '../api';

interface JobsState {
  /** Every known job by ID; lives outside the views, so progress survives switching views. */
  jobs: ReadonlyMap<string, JobInfo>;
  /** Applies a `job` event (or a job returned by a call that started one). */
  upsert(job: JobInfo): void;
  load(): Promise<void>;
  cancel(id: string): Promise<boolean>;
  clearFinished(): Promise<void>;
}

export const isFinished = (job: JobInfo): boolean => job.state !== 'running';

export const useJobs = create<JobsState>()((set, get) => ({
  jobs: new Map(),

  upsert(job) {
    const known = get().jobs.get(job.id);
    // Events and call replies can cross: never let a late "running" undo a finished job.
    if (known && isFinished(known) && !isFinished(job)) return;
    const jobs = new Map(get().jobs);
    jobs.set(job.id, job);
    set({ jobs });
  },

  async load() {
    const list = await call('jobs.list');
    for (const job of list) get().upsert(job);
  },

  async cancel(id) {
    const { cancelled } = await call('jobs.cancel', { id });
    return cancelled;
  },

  async clearFinished() {
    await call('jobs.clear');
    const jobs = new Map([...get().jobs].filter(([, job]) => !isFinished(job)));
    set({ jobs });
  },
}));

/** Running first, then newest first. */
export function orderedJobs(jobs: ReadonlyMap<string, JobInfo>): JobInfo[] {
  return [...jobs.values()].sort((a, b) => {
    const running = Number(isFinished(a)) - Number(isFinished(b));
    return running || b.startedAt - a.startedAt;
  });
}

export function runningCount(jobs: ReadonlyMap<string, JobInfo>): number {
  let count = 0;
  for (const job of jobs.values()) if (!isFinished(job)) count++;
  return count;
}

/** Resolves when the job reaches a final state (as seen through events). */
export function whenFinished(id: string): Promise<JobInfo> {
  const now = useJobs.getState().jobs.get(id);
  if (now && isFinished(now)) return Promise.resolve(now);
  return new Promise((resolve) => {
    const off = useJobs.subscribe((state) => {
      const job = state.jobs.get(id);
      if (job && isFinished(job)) {
        off();
        resolve(job);
      }
    });
  });
}

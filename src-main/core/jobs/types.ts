import type { ErrorValue } from '../errors';

export type JobState = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One item of a job: a layer being downloaded, an image being removed… */
export interface JobItem {
  id: string;
  label: string;
  status: string;
  current?: number;
  total?: number;
}

export interface JobProgress {
  /** Bytes or steps done and expected overall; total undefined when unknown. */
  current: number;
  total?: number;
  unit: 'bytes' | 'items';
  /** What is happening now, in a few words. */
  message?: string;
  items?: JobItem[];
  /** Bytes per second over the recent past, when unit is bytes. */
  rate?: number;
  /** Seconds left, when it can be estimated. */
  etaSeconds?: number;
}

export interface JobInfo {
  id: string;
  kind: string;
  title: string;
  state: JobState;
  progress: JobProgress;
  startedAt: number;
  endedAt?: number;
  result?: unknown;
  error?: ErrorValue;
}

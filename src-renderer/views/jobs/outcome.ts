import type { PruneResult, RemoveResult } from '../../../src-main/core/engine/types';
import type { JobInfo } from '../../../src-main/core/jobs/types';
import { formatBytes, plural } from '../../format';
import type { Toast } from '../../store/ui';

/** A one-line account of a finished job, for a toast and the job's card. */
export function jobOutcome(job: JobInfo): Omit<Toast, 'id'> {
  if (job.state === 'cancelled') return { kind: 'info', message: `${job.title}: cancelled` };
  if (job.state === 'failed') return { kind: 'error', message: `${job.title} failed`, detail: job.error?.message };
  const text = resultText(job);
  if (text.failed) return { kind: 'error', message: `${job.title}: ${text.summary}`, detail: text.failed };
  return { kind: 'success', message: `${job.title}: ${text.summary}` };
}

export function resultText(job: JobInfo): { summary: string; failed?: string } {
  if (job.kind === 'remove' && isRemoveResult(job.result)) {
    const r = job.result;
    const parts = [];
    if (r.removed.length) parts.push(`${plural(r.removed.length, 'image')} removed`);
    if (r.untagged.length) parts.push(`${plural(r.untagged.length, 'tag')} untagged`);
    if (!parts.length) parts.push('nothing removed');
    const failed = r.failed.length ? r.failed.map((f) => `${f.image}: ${f.error}`).join('\n') : undefined;
    return { summary: parts.join(', '), failed };
  }
  if (job.kind === 'prune' && isPruneResult(job.result)) {
    const r = job.result;
    return { summary: `${plural(r.deleted.length, 'image')} deleted, ${formatBytes(r.reclaimedBytes)} reclaimed` };
  }
  return { summary: 'done' };
}

function isRemoveResult(value: unknown): value is RemoveResult {
  return typeof value === 'object' && value !== null && Array.isArray((value as RemoveResult).removed) && Array.isArray((value as RemoveResult).failed);
}

function isPruneResult(value: unknown): value is PruneResult {
  return typeof value === 'object' && value !== null && Array.isArray((value as PruneResult).deleted);
}

import { useEffect, useState } from 'react';
import type { JobInfo, JobProgress } from '../../../src-main/core/jobs/types';
import { asLighterError } from '../../api';
import { ProgressBar } from '../../components/ProgressBar';
import { RelativeTime } from '../../components/Time';
import { formatBytes, formatDuration, formatRate } from '../../format';
import { useJobs } from '../../store/jobs';
import { useUi } from '../../store/ui';
import { resultText } from './outcome';

const STATE_LABEL: Record<JobInfo['state'], string> = { running: 'Running', succeeded: 'Done', failed: 'Failed', cancelled: 'Cancelled' };

/** "12 MB of 40 MB · 3.2 MB/s · 9 s left" or "3 of 5". */
export function progressText(p: JobProgress): string {
  if (p.unit === 'bytes') {
    const parts = [p.total !== undefined ? `${formatBytes(p.current)} of ${formatBytes(p.total)}` : formatBytes(p.current)];
    if (p.rate !== undefined) parts.push(formatRate(p.rate));
    if (p.etaSeconds !== undefined) parts.push(`${formatDuration(p.etaSeconds)} left`);
    return parts.join(' · ');
  }
  return p.total !== undefined ? `${p.current.toLocaleString('en')} of ${p.total.toLocaleString('en')}` : p.current ? `${p.current.toLocaleString('en')} done` : '';
}

function Elapsed({ job }: { job: JobInfo }) {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (job.state !== 'running') return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [job.state]);
  return <span>{formatDuration(((job.endedAt ?? now) - job.startedAt) / 1000)}</span>;
}

export function JobCard({ job }: { job: JobInfo }) {
  const cancel = useJobs((s) => s.cancel);
  const toast = useUi((s) => s.toast);
  const { progress } = job;
  const running = job.state === 'running';
  const tone = job.state === 'failed' ? 'error' : job.state === 'succeeded' ? 'success' : job.state === 'cancelled' ? 'muted' : 'active';
  const text = progressText(progress);
  const outcome = job.state === 'succeeded' ? resultText(job) : undefined;

  return (
    <article className={`job-card job-${job.state}`} aria-label={job.title}>
      <div className="job-head">
        <div className="job-title">{job.title}</div>
        <span className={`badge badge-state-${job.state}`}>{STATE_LABEL[job.state]}</span>
        <div className="toolbar-spacer" />
        <span className="muted small">
          <RelativeTime ms={job.startedAt} /> · <Elapsed job={job} />
        </span>
        {running && (
          <button
            type="button"
            className="button button-small"
            onClick={() => cancel(job.id).catch((e) => toast({ kind: 'error', message: 'Could not cancel', detail: asLighterError(e).message }))}
          >
            Cancel
          </button>
        )}
      </div>
      <ProgressBar
        value={running ? progress.current : 1}
        total={running ? progress.total : 1}
        label={`${job.title} progress`}
        tone={tone}
        valueText={text || STATE_LABEL[job.state]}
      />
      <div className="job-meta small">
        {running && progress.message && <span>{progress.message}</span>}
        {text && <span className="muted">{text}</span>}
        {outcome && <span>{outcome.summary}</span>}
        {job.error && job.state === 'failed' && <span className="error-text">{job.error.message}</span>}
      </div>
      {outcome?.failed && <pre className="job-failures small">{outcome.failed}</pre>}
      {progress.items && progress.items.length > 0 && (
        <details className="job-items">
          <summary>{progress.items.length} items</summary>
          <ul>
            {progress.items.map((item) => (
              <li key={item.id}>
                <span className="mono truncate">{item.label}</span>
                <span className="muted">{item.status}</span>
                {item.total ? (
                  <ProgressBar value={item.current ?? 0} total={item.total} label={item.label} tone={tone} />
                ) : (
                  <span />
                )}
              </li>
            ))}
          </ul>
        </details>
      )}
    </article>
  );
}

import { useMemo } from 'react';
import { Icon } from '../../components/Icon';
import { isFinished, orderedJobs, useJobs } from '../../store/jobs';
import { JobCard } from './JobCard';

/** Every long operation, running and finished; lives in the store so nothing is lost between views. */
export function JobsView() {
  const jobs = useJobs((s) => s.jobs);
  const clearFinished = useJobs((s) => s.clearFinished);
  const list = useMemo(() => orderedJobs(jobs), [jobs]);
  const finished = list.filter(isFinished).length;

  return (
    <section className="view" aria-labelledby="jobs-title">
      <header className="toolbar">
        <h1 id="jobs-title">Jobs</h1>
        <span className="muted count">{list.length ? `${list.length - finished} running · ${finished} finished` : ''}</span>
        <div className="toolbar-spacer" />
        <button type="button" className="button" disabled={!finished} onClick={() => void clearFinished()}>
          Clear finished
        </button>
      </header>
      <div className="scroll-area">
        {list.length ? (
          <ul className="job-list" aria-label="Jobs">
            {list.map((job) => (
              <li key={job.id}>
                <JobCard job={job} />
              </li>
            ))}
          </ul>
        ) : (
          <div className="empty-state">
            <Icon name="jobs" size={28} />
            <p>No jobs yet.</p>
            <p className="muted small">Removing and pruning images show their progress here, and keep it while you look elsewhere.</p>
          </div>
        )}
      </div>
    </section>
  );
}

import type { EngineStatus } from '../../src-main/core/engine/types';
import type { JobInfo } from '../../src-main/core/jobs/types';
import { onEvent } from '../api';
import { jobOutcome } from '../views/jobs/outcome';
import { useEngine } from './engine';
import { useImages } from './images';
import { isFinished, useJobs } from './jobs';
import { useUi } from './ui';

/**
 * Connects the stores to the main process: the first load, then every event. Returns a function that
 * disconnects (tests and hot reload).
 */
export function connectStores(options: { refreshDelayMs?: number } = {}): () => void {
  const delay = options.refreshDelayMs ?? 150;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  // Engine events come in bursts (a tag, an untag, a delete…): one refresh per burst is enough.
  const refreshSoon = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => void useImages.getState().refresh(), delay);
  };

  const onJob = (job: JobInfo) => {
    const before = useJobs.getState().jobs.get(job.id);
    useJobs.getState().upsert(job);
    if (isFinished(job) && (!before || !isFinished(before))) {
      useUi.getState().toast(jobOutcome(job));
      if (job.kind === 'remove' || job.kind === 'prune') refreshSoon();
    }
  };

  const onStatus = (status: EngineStatus) => {
    const before = useEngine.getState().status;
    useEngine.getState().setStatus(status);
    const reconnected = status.state === 'connected' && (before.state !== 'connected' || before.engine?.host !== status.engine?.host);
    if (reconnected) void useImages.getState().refresh();
  };

  const off = onEvent((name, payload) => {
    if (name === 'job') onJob(payload as JobInfo);
    else if (name === 'engine.status') onStatus(payload as EngineStatus);
    else if (name === 'images.changed') refreshSoon();
  });

  void (async () => {
    await useEngine.getState().load();
    void useImages.getState().refresh();
  })();
  useJobs
    .getState()
    .load()
    .catch(() => {
      // The jobs list lives in the main process and never depends on the engine; nothing to show.
    });

  return () => {
    off();
    clearTimeout(refreshTimer);
  };
}

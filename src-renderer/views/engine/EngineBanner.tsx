import { useEffect, useState } from 'react';
import { asLighterError } from '../../api';
import { Banner } from '../../components/Banner';
import { useEngine } from '../../store/engine';
import { useUi } from '../../store/ui';

/** Seconds until the next background retry, ticking down. */
function useCountdown(statusAt: number, retryInMs?: number): number | undefined {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (retryInMs === undefined) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [retryInMs, statusAt]);
  if (retryInMs === undefined) return undefined;
  // The clock may be older than the status (it ticks only while counting): never count from before it.
  return Math.max(0, Math.ceil((statusAt + retryInMs - Math.max(now, statusAt)) / 1000));
}

/**
 * Says plainly that no engine answers, what was tried and why each failed; retries on its own and
 * offers a manual retry and a way to choose another engine. The rest of the app stays usable.
 */
export function EngineBanner() {
  const { status, statusAt, busy, retry } = useEngine();
  const navigate = useUi((s) => s.navigate);
  const toast = useUi((s) => s.toast);
  const seconds = useCountdown(statusAt, status.state === 'unreachable' ? status.retryInMs : undefined);

  if (status.state !== 'unreachable') return null;
  const onRetry = () => retry().catch((e) => toast({ kind: 'error', message: 'Retry failed', detail: asLighterError(e).message }));

  return (
    <Banner
      tone="warning"
      title="No container engine is reachable"
      actions={
        <>
          <button type="button" className="button" disabled={busy} onClick={() => void onRetry()}>
            {busy ? 'Retrying…' : 'Retry now'}
          </button>
          <button type="button" className="button" onClick={() => navigate({ name: 'settings' })}>
            Choose engine…
          </button>
        </>
      }
    >
      {status.attempts.length > 0 ? (
        <ul className="attempts" aria-label="Connection attempts">
          {status.attempts.map((a, n) => (
            <li key={`${a.host}-${n}`}>
              <span className="mono">{a.host || '—'}</span>
              <span className="muted"> ({a.foundBy})</span>: <span>{a.error}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="small">No engine was found: no DOCKER_HOST, no docker context and no socket in the usual places.</p>
      )}
      <p className="small muted banner-retry" aria-live="off">
        {busy ? 'Trying again…' : seconds === undefined ? 'Lighter keeps trying in the background.' : seconds > 0 ? `Trying again in ${seconds} s.` : 'Trying again…'}
        {' '}Jobs and Settings keep working meanwhile.
      </p>
    </Banner>
  );
}

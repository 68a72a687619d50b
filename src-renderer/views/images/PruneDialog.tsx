import { useEffect, useState } from 'react';
import type { PrunePreview } from '../../../src-main/core/engine/types';
import { asLighterError, call } from '../../api';
import { Dialog } from '../../components/Dialog';
import { Bytes, RelativeTime } from '../../components/Time';
import { formatBytes, plural } from '../../format';
import { useJobs } from '../../store/jobs';
import { useUi } from '../../store/ui';
import { imageLabel } from './columns';

/** Shows exactly what a prune would delete and what space returns, then runs it as a job. */
export function PruneDialog({ onClose }: { onClose(): void }) {
  const [all, setAll] = useState(false);
  // Answers are kept with the choice they belong to, so a stale one is never shown for the other.
  const [answer, setAnswer] = useState<{ all: boolean; preview?: PrunePreview; error?: string }>();
  const preview = answer?.all === all ? answer.preview : undefined;
  const error = answer?.all === all ? answer.error : undefined;
  const [busy, setBusy] = useState(false);
  const toast = useUi((s) => s.toast);

  useEffect(() => {
    let live = true;
    call('images.prunePreview', { all })
      .then((p) => live && setAnswer({ all, preview: p }))
      .catch((e) => live && setAnswer({ all, error: asLighterError(e).message }));
    return () => {
      live = false;
    };
  }, [all]);

  const prune = async () => {
    setBusy(true);
    try {
      useJobs.getState().upsert(await call('images.prune', { all }));
      onClose();
    } catch (e) {
      toast({ kind: 'error', message: 'Could not prune', detail: asLighterError(e).message });
      setBusy(false);
    }
  };

  const count = preview?.images.length ?? 0;
  return (
    <Dialog
      title="Prune images"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="button button-danger" disabled={busy || !preview || count === 0} onClick={() => void prune()}>
            {preview && count ? `Delete ${plural(count, 'image')}` : 'Delete'}
          </button>
        </>
      }
    >
      <div className="segmented" role="radiogroup" aria-label="What to prune">
        <label>
          <input type="radio" name="prune-kind" checked={!all} onChange={() => setAll(false)} data-autofocus />
          <span>Dangling images</span>
        </label>
        <label>
          <input type="radio" name="prune-kind" checked={all} onChange={() => setAll(true)} />
          <span>All unused images</span>
        </label>
      </div>
      <p className="muted small">
        {all ? 'Every image no container uses, tagged or not.' : 'Images without a tag that no container uses — usually left over from rebuilds.'}
      </p>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {!preview && !error && <p className="muted">Working out what would be deleted…</p>}
      {preview && (
        <>
          <p className="prune-summary" aria-live="polite">
            {count === 0 ? (
              'Nothing to prune.'
            ) : (
              <>
                {plural(count, 'image')} · <strong>{formatBytes(preview.reclaimBytes)}</strong> will be freed
              </>
            )}
          </p>
          {count > 0 && (
            <ul className="plain-list scroll-list" aria-label="Images that would be deleted">
              {preview.images.map((image) => (
                <li key={image.id} className="list-row">
                  <span>
                    {image.repoTags.length ? imageLabel(image) : <span className="mono">{image.shortId}</span>}
                    {image.dangling && <span className="badge badge-muted">dangling</span>}
                  </span>
                  <span className="muted">
                    <RelativeTime ms={image.created * 1000} /> · <Bytes value={image.uniqueSize >= 0 ? image.uniqueSize : image.size} />
                  </span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </Dialog>
  );
}

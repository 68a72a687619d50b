import { useEffect, useState } from 'react';
import type { ImageSummary, ImageUsage } from '../../../src-main/core/engine/types';
import { asLighterError, call } from '../../api';
import { Dialog } from '../../components/Dialog';
import { Icon } from '../../components/Icon';
import { Bytes } from '../../components/Time';
import { plural } from '../../format';
import { useJobs } from '../../store/jobs';
import { useImages } from '../../store/images';
import { useUi } from '../../store/ui';
import { imageLabel } from './columns';

/**
 * Confirms a removal. It first asks which containers use the images and names them; only then is
 * "force" offered, and only for that confirmation.
 */
export function RemoveDialog({ images, onClose }: { images: ImageSummary[]; onClose(): void }) {
  const [usage, setUsage] = useState<ImageUsage[]>();
  const [usageError, setUsageError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const toast = useUi((s) => s.toast);

  useEffect(() => {
    let live = true;
    call('images.usage', { images: images.map((i) => i.id) })
      .then((u) => live && setUsage(u))
      .catch((e) => live && (setUsageError(asLighterError(e).message), setUsage([])));
    return () => {
      live = false;
    };
  }, [images]);

  const inUse = (usage ?? []).filter((u) => u.containers.length > 0);
  const byImage = new Map(inUse.map((u) => [u.image, u]));

  const remove = async () => {
    setBusy(true);
    try {
      // A tagged image goes by removing its tags (the last one deletes it); an untagged one by ID.
      const refs = images.flatMap((i) => (i.repoTags.length ? i.repoTags : [i.id]));
      const job = await call('images.remove', { images: refs, force: inUse.length > 0 });
      useJobs.getState().upsert(job);
      useImages.getState().setSelection(new Set());
      onClose();
    } catch (e) {
      toast({ kind: 'error', message: 'Could not remove', detail: asLighterError(e).message });
      setBusy(false);
    }
  };

  const title = images.length === 1 ? `Remove ${imageLabel(images[0])}?` : `Remove ${images.length} images?`;
  return (
    <Dialog
      title={title}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose} data-autofocus>
            Cancel
          </button>
          <button type="button" className="button button-danger" disabled={busy || usage === undefined} onClick={() => void remove()}>
            {usage === undefined ? 'Checking…' : inUse.length ? 'Remove anyway' : 'Remove'}
          </button>
        </>
      }
    >
      <ul className="plain-list">
        {images.map((image) => {
          const used = byImage.get(image.id);
          return (
            <li key={image.id}>
              <div className="list-row">
                <span>{image.repoTags.length ? image.repoTags.join(', ') : <span className="mono">{image.shortId}</span>}</span>
                <span className="muted">
                  <Bytes value={image.size} />
                </span>
              </div>
              {used && (
                <div className="usage-note">
                  Used by {used.containers.length === 1 ? 'container' : 'containers'}{' '}
                  {used.containers.map((c, n) => (
                    <span key={c.id}>
                      {n > 0 && ', '}
                      <strong className="mono">{c.name}</strong> <span className="muted">({c.state})</span>
                    </span>
                  ))}
                </div>
              )}
            </li>
          );
        })}
      </ul>
      {inUse.length > 0 && (
        <div className="callout callout-warning" role="alert">
          <Icon name="warning" />
          <span>
            {inUse.length === 1 ? 'This image is' : `${plural(inUse.length, 'image')} are`} used by containers. Removing anyway forces it: the containers keep
            running from the image’s ID, but the name is gone. A running container may still block removal.
          </span>
        </div>
      )}
      {usageError && <p className="field-error">Could not check which containers use these images: {usageError}</p>}
    </Dialog>
  );
}

import { useId, useState } from 'react';
import type { ImageSummary } from '../../../src-main/core/engine/types';
import { asLighterError, call } from '../../api';
import { Dialog } from '../../components/Dialog';
import { useImages } from '../../store/images';
import { useUi } from '../../store/ui';
import { imageLabel } from './columns';

/** Adds a tag to an image. The engine side checks the reference; its message is shown under the field. */
export function TagDialog({ image, onClose }: { image: ImageSummary; onClose(): void }) {
  const [target, setTarget] = useState(image.repoTags[0] ?? '');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const errorId = useId();
  const toast = useUi((s) => s.toast);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const result = await call('images.tag', { source: image.id, target });
      toast({ kind: 'success', message: `Tagged ${imageLabel(image)} as ${result.target}` });
      void useImages.getState().refresh();
      onClose();
    } catch (e) {
      const err = asLighterError(e);
      setError(err.code === 'REF_INVALID' || err.code === 'INVALID_INPUT' ? err.message : `${err.message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={`Tag ${imageLabel(image)}`}
      onClose={onClose}
      size="small"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="tag-form" className="button button-primary" disabled={busy || !target.trim()}>
            {busy ? 'Tagging…' : 'Add tag'}
          </button>
        </>
      }
    >
      <form id="tag-form" onSubmit={submit} noValidate>
        <label className="field">
          <span className="field-label">New tag</span>
          <input
            data-autofocus
            className="input mono"
            value={target}
            placeholder="registry.example/name:tag"
            spellCheck={false}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? errorId : undefined}
            onChange={(e) => {
              setTarget(e.target.value);
              setError(undefined);
            }}
            onFocus={(e) => e.target.select()}
          />
        </label>
        {error ? (
          <p id={errorId} className="field-error" role="alert">
            {error}
          </p>
        ) : (
          <p className="field-hint">Name and optional tag, e.g. <span className="mono">myapp:1.2</span> or <span className="mono">localhost:5000/team/app</span>. Without a tag, “latest” is used.</p>
        )}
        <p className="muted small">
          Image <span className="mono">{image.shortId}</span>
          {image.repoTags.length ? ` — already tagged ${image.repoTags.join(', ')}` : ' — untagged'}
        </p>
      </form>
    </Dialog>
  );
}

import { useCallback, useMemo, useState } from 'react';
import type { ImageSummary } from '../../../src-main/core/engine/types';
import { Icon } from '../../components/Icon';
import { VirtualTable } from '../../components/VirtualTable';
import { formatBytes, plural } from '../../format';
import { useEngine } from '../../store/engine';
import { visibleImages, type SortColumn } from '../../store/image-query';
import { useImages } from '../../store/images';
import { useUi } from '../../store/ui';
import { imageColumns, imageLabel } from './columns';
import { DiskUsageDialog } from './DiskUsageDialog';
import { FilterBar } from './FilterBar';
import { PruneDialog } from './PruneDialog';
import { RemoveDialog } from './RemoveDialog';
import { TagDialog } from './TagDialog';

type OpenDialog = { name: 'tag'; image: ImageSummary } | { name: 'remove'; images: ImageSummary[] } | { name: 'prune' } | { name: 'disk' };

const rowKey = (image: ImageSummary) => image.id;

export function ImagesView() {
  const { list, loading, loaded, error, filters, sort, selection } = useImages();
  const sortBy = useImages((s) => s.sortBy);
  const setSelection = useImages((s) => s.setSelection);
  const refresh = useImages((s) => s.refresh);
  const navigate = useUi((s) => s.navigate);
  const engineState = useEngine((s) => s.status.state);
  const [dialog, setDialog] = useState<OpenDialog>();

  const rows = useMemo(() => visibleImages(list, filters, sort), [list, filters, sort]);
  const selected = useMemo(() => rows.filter((i) => selection.has(i.id)), [rows, selection]);
  const open = useCallback((image: ImageSummary) => navigate({ name: 'image', id: image.id, label: imageLabel(image) }), [navigate]);
  const columns = useMemo(() => imageColumns(open), [open]);
  const totalSize = useMemo(() => rows.reduce((sum, i) => sum + Math.max(0, i.size), 0), [rows]);
  const close = () => setDialog(undefined);

  const offline = engineState !== 'connected';
  const empty = offline ? (
    <div className="empty-state">
      <Icon name="engine" size={28} />
      <p>{engineState === 'connecting' ? 'Connecting to the container engine…' : 'No container engine is connected.'}</p>
    </div>
  ) : error ? (
    <div className="empty-state" role="alert">
      <Icon name="warning" size={28} />
      <p>Could not list images: {error.message}</p>
      <button type="button" className="button" onClick={() => void refresh()}>
        Try again
      </button>
    </div>
  ) : !loaded ? (
    <div className="empty-state">Loading images…</div>
  ) : list.length ? (
    <div className="empty-state">No image matches these filters.</div>
  ) : (
    <div className="empty-state">No images on this engine yet.</div>
  );

  return (
    <section className="view" aria-labelledby="images-title">
      <header className="toolbar">
        <h1 id="images-title">Images</h1>
        <span className="muted count" aria-live="polite">
          {loaded && !offline ? `${plural(rows.length, 'image')}${rows.length !== list.length ? ` of ${list.length}` : ''} · ${formatBytes(totalSize)}` : ''}
        </span>
        <div className="toolbar-spacer" />
        <button type="button" className="button" disabled={selected.length !== 1} onClick={() => setDialog({ name: 'tag', image: selected[0] })}>
          <Icon name="tag" /> Tag…
        </button>
        <button type="button" className="button" disabled={!selected.length} onClick={() => setDialog({ name: 'remove', images: selected })}>
          <Icon name="trash" /> Remove{selected.length > 1 ? ` ${selected.length}` : ''}…
        </button>
        <button type="button" className="button" disabled={offline} onClick={() => setDialog({ name: 'prune' })}>
          <Icon name="broom" /> Prune…
        </button>
        <button type="button" className="button" disabled={offline} onClick={() => setDialog({ name: 'disk' })}>
          <Icon name="disk" /> Disk usage
        </button>
        <button type="button" className="icon-button" disabled={offline} aria-label="Refresh" title="Refresh" onClick={() => void refresh()}>
          <Icon name="refresh" className={loading ? 'spin' : undefined} />
        </button>
      </header>
      <FilterBar />
      <div className="table-area">
        <VirtualTable
          rows={offline ? [] : rows}
          rowKey={rowKey}
          rowLabel={imageLabel}
          columns={columns}
          label="Images"
          sort={sort}
          onSort={(column) => sortBy(column as SortColumn)}
          selection={selection}
          onSelectionChange={setSelection}
          onOpen={open}
          onDelete={(images) => setDialog({ name: 'remove', images })}
          rowClassName={(i) => (i.dangling ? 'dangling' : undefined)}
          empty={empty}
        />
      </div>
      {dialog?.name === 'tag' && <TagDialog image={dialog.image} onClose={close} />}
      {dialog?.name === 'remove' && <RemoveDialog images={dialog.images} onClose={close} />}
      {dialog?.name === 'prune' && <PruneDialog onClose={close} />}
      {dialog?.name === 'disk' && <DiskUsageDialog onClose={close} />}
    </section>
  );
}

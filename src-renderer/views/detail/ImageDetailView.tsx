import { useEffect, useState } from 'react';
import type { HistoryRow, ImageDetail } from '../../../src-main/core/engine/types';
import type { LighterError } from '../../../src-main/core/errors';
import { asLighterError, call } from '../../api';
import { CopyButton } from '../../components/CopyButton';
import { Icon } from '../../components/Icon';
import { useImages } from '../../store/images';
import { useUi } from '../../store/ui';
import { HistoryTable } from './HistoryTable';
import { Overview } from './Overview';
import { RawJson } from './RawJson';

type Tab = 'overview' | 'history' | 'raw';
const TABS: [Tab, string][] = [
  ['overview', 'Overview'],
  ['history', 'History'],
  ['raw', 'Raw JSON'],
];

/** One image: its configuration, its build history and the engine's own inspect JSON. */
export function ImageDetailView({ id, label }: { id: string; label: string }) {
  const navigate = useUi((s) => s.navigate);
  const [detail, setDetail] = useState<ImageDetail>();
  const [history, setHistory] = useState<HistoryRow[]>();
  const [error, setError] = useState<LighterError>();
  const [tab, setTab] = useState<Tab>('overview');
  // Reload when the image list changes (a new tag, a removal) so the header stays true.
  const listVersion = useImages((s) => s.list);

  useEffect(() => {
    let live = true;
    Promise.all([call('images.inspect', { image: id }), call('images.history', { image: id })])
      .then(([d, h]) => {
        if (!live) return;
        setDetail(d);
        setHistory(h);
        setError(undefined);
      })
      .catch((e) => live && setError(asLighterError(e)));
    return () => {
      live = false;
    };
  }, [id, listVersion]);

  const back = () => navigate({ name: 'images' });
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && !event.defaultPrevented && !document.querySelector('[role="dialog"]')) back();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const onTabKey = (event: React.KeyboardEvent) => {
    const index = TABS.findIndex(([t]) => t === tab);
    const next = event.key === 'ArrowRight' ? index + 1 : event.key === 'ArrowLeft' ? index - 1 : undefined;
    if (next === undefined) return;
    event.preventDefault();
    const [t] = TABS[(next + TABS.length) % TABS.length];
    setTab(t);
    document.getElementById(`tab-${t}`)?.focus();
  };

  return (
    <section className="view" aria-labelledby="detail-title">
      <header className="toolbar">
        <button type="button" className="icon-button" onClick={back} aria-label="Back to images" title="Back to images (Esc)">
          <Icon name="back" />
        </button>
        <h1 id="detail-title" className="truncate">
          {label}
        </h1>
        {detail && (
          <span className="cell-id muted">
            <span className="mono" title={detail.id}>
              {detail.id.slice(7, 19)}
            </span>
            <CopyButton value={detail.id} label="Copy image ID" />
          </span>
        )}
      </header>
      {error ? (
        <div className="empty-state" role="alert">
          <Icon name="warning" size={28} />
          <p>{error.code === 'NOT_FOUND' ? 'This image is no longer on the engine.' : `Could not inspect this image: ${error.message}`}</p>
          <button type="button" className="button" onClick={back}>
            Back to images
          </button>
        </div>
      ) : !detail || !history ? (
        <div className="empty-state">Loading…</div>
      ) : (
        <>
          <div className="tabs" role="tablist" aria-label="Image details" onKeyDown={onTabKey}>
            {TABS.map(([t, name]) => (
              <button
                key={t}
                id={`tab-${t}`}
                type="button"
                role="tab"
                aria-selected={tab === t}
                aria-controls={`panel-${t}`}
                tabIndex={tab === t ? 0 : -1}
                className="tab"
                onClick={() => setTab(t)}
              >
                {name}
                {t === 'history' && <span className="tab-count">{history.length}</span>}
              </button>
            ))}
          </div>
          <div className="detail-body" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
            {tab === 'overview' && <Overview detail={detail} />}
            {tab === 'history' && <HistoryTable rows={history} />}
            {tab === 'raw' && <RawJson value={detail.raw} />}
          </div>
        </>
      )}
    </section>
  );
}

import { useEffect, useState } from 'react';
import type { DiskUsage } from '../../../src-main/core/engine/types';
import { asLighterError, call } from '../../api';
import { Dialog } from '../../components/Dialog';
import { ProgressBar } from '../../components/ProgressBar';
import { Bytes } from '../../components/Time';
import { formatBytes } from '../../format';

const ROWS: [keyof DiskUsage, string][] = [
  ['images', 'Images'],
  ['containers', 'Containers'],
  ['volumes', 'Local volumes'],
  ['buildCache', 'Build cache'],
];

/** What the engine's disk holds and what could be reclaimed, like `docker system df`. */
export function DiskUsageDialog({ onClose }: { onClose(): void }) {
  const [usage, setUsage] = useState<DiskUsage>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    call('system.df')
      .then(setUsage)
      .catch((e) => setError(asLighterError(e).message));
  }, []);

  const total = usage ? ROWS.reduce((sum, [key]) => sum + usage[key].size, 0) : 0;
  const reclaimable = usage ? ROWS.reduce((sum, [key]) => sum + usage[key].reclaimable, 0) : 0;

  return (
    <Dialog
      title="Disk usage"
      size="large"
      onClose={onClose}
      footer={
        <button type="button" className="button" onClick={onClose} data-autofocus>
          Close
        </button>
      }
    >
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {!usage && !error && <p className="muted">Measuring…</p>}
      {usage && (
        <>
          <p className="prune-summary">
            <strong>{formatBytes(total)}</strong> used · <strong>{formatBytes(reclaimable)}</strong> reclaimable
          </p>
          <table className="simple-table">
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col" className="end">
                  Total
                </th>
                <th scope="col" className="end">
                  Active
                </th>
                <th scope="col" className="end">
                  Size
                </th>
                <th scope="col" className="end">
                  Reclaimable
                </th>
                <th scope="col" aria-label="Reclaimable share" />
              </tr>
            </thead>
            <tbody>
              {ROWS.map(([key, label]) => {
                const row = usage[key];
                const share = row.size > 0 ? Math.round((row.reclaimable / row.size) * 100) : 0;
                return (
                  <tr key={key}>
                    <th scope="row">{label}</th>
                    <td className="end">{row.count}</td>
                    <td className="end">{row.active}</td>
                    <td className="end">
                      <Bytes value={row.size} />
                    </td>
                    <td className="end">
                      <Bytes value={row.reclaimable} /> <span className="muted">({share}%)</span>
                    </td>
                    <td className="meter-cell">
                      <ProgressBar value={row.reclaimable} total={row.size || 1} label={`${label} reclaimable`} tone="muted" valueText={`${share}% reclaimable`} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </Dialog>
  );
}

import type { HistoryRow } from '../../../src-main/core/engine/types';
import { Icon } from '../../components/Icon';
import { Bytes, RelativeTime } from '../../components/Time';
import { shortHash } from '../../format';

const MISSING_NOTE = 'Built elsewhere — normal. Steps of an image that was pulled or loaded have no local image ID.';

/** Shell-form build steps read better without the `/bin/sh -c #(nop)` noise the builder adds. */
export function readableStep(createdBy: string): string {
  return createdBy
    .replace(/^\/bin\/sh -c #\(nop\)\s*/, '')
    .replace(/^\|\d+ .*?\/bin\/sh -c /, 'RUN ')
    .replace(/^\/bin\/sh -c /, 'RUN ')
    .trim();
}

/** The build steps, newest first as the engine reports them. */
export function HistoryTable({ rows }: { rows: HistoryRow[] }) {
  const missing = rows.some((r) => r.id === '<missing>');
  const empty = rows.filter((r) => r.emptyLayer).length;
  return (
    <div className="history">
      <p className="muted small history-note">
        {rows.length} steps · {rows.length - empty} with a layer, {empty} without (metadata only).
        {missing && (
          <>
            {' '}
            <Icon name="info" size={13} /> Steps shown as “&lt;missing&gt;” were built elsewhere — normal.
          </>
        )}
      </p>
      <table className="simple-table history-table">
        <thead>
          <tr>
            <th scope="col">ID</th>
            <th scope="col">Created by</th>
            <th scope="col" className="end">
              Size
            </th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={`${row.id}-${index}`} className={row.emptyLayer ? 'empty-layer' : undefined}>
              <td className="mono nowrap">
                {row.id === '<missing>' ? (
                  <span className="muted" title={MISSING_NOTE}>
                    &lt;missing&gt;
                  </span>
                ) : (
                  <span title={row.id}>{shortHash(row.id)}</span>
                )}
              </td>
              <td className="mono step" title={row.createdBy}>
                {readableStep(row.createdBy) || <span className="muted">—</span>}
                {row.comment && <span className="muted"> · {row.comment}</span>}
              </td>
              <td className="end nowrap">
                {row.emptyLayer ? (
                  <span className="badge badge-muted" title="This step changed only metadata (ENV, CMD, LABEL…); it added no files">
                    no layer
                  </span>
                ) : (
                  <Bytes value={row.size} />
                )}
              </td>
              <td className="nowrap">
                <RelativeTime ms={row.created * 1000} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

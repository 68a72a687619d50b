import type { ReactNode } from 'react';
import type { ImageDetail } from '../../../src-main/core/engine/types';
import { CopyButton } from '../../components/CopyButton';
import { Bytes, RelativeTime } from '../../components/Time';
import { formatAbsoluteTime, toMillis } from '../../format';

function Command({ value }: { value: string[] | null }) {
  if (!value || !value.length) return <span className="muted">—</span>;
  return <code className="code-inline">{JSON.stringify(value)}</code>;
}

function List({ items, mono = true }: { items: string[]; mono?: boolean }) {
  if (!items.length) return <span className="muted">—</span>;
  return (
    <ul className="value-list">
      {items.map((item) => (
        <li key={item} className={mono ? 'mono' : undefined}>
          {item}
        </li>
      ))}
    </ul>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

/** The parts of `inspect` people look for, in the order they look for them. */
export function Overview({ detail }: { detail: ImageDetail }) {
  const { config } = detail;
  const created = toMillis(detail.created);
  const platform = [detail.os, detail.architecture, detail.variant].filter(Boolean).join('/');
  const labels = Object.entries(config.labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return (
    <div className="overview">
      <section className="card" aria-labelledby="ov-image">
        <h2 id="ov-image">Image</h2>
        <dl className="props">
          <Row label="ID">
            <span className="cell-id">
              <span className="mono break">{detail.id}</span>
              <CopyButton value={detail.id} label="Copy full image ID" />
            </span>
          </Row>
          <Row label="Tags">
            {detail.repoTags.length ? (
              <span className="chips wrap">
                {detail.repoTags.map((t) => (
                  <span key={t} className="chip">
                    {t}
                  </span>
                ))}
              </span>
            ) : (
              <span className="muted">none (dangling)</span>
            )}
          </Row>
          <Row label="Digests">
            <List items={detail.repoDigests} />
          </Row>
          <Row label="Created">
            <RelativeTime ms={created} /> <span className="muted">· {formatAbsoluteTime(created)}</span>
          </Row>
          <Row label="Size">
            <Bytes value={detail.size} /> <span className="muted">· {detail.layers.length} layers</span>
          </Row>
          <Row label="Platform">{platform || <span className="muted">—</span>}</Row>
          {detail.author && <Row label="Author">{detail.author}</Row>}
        </dl>
      </section>
      <section className="card" aria-labelledby="ov-config">
        <h2 id="ov-config">Configuration</h2>
        <dl className="props">
          <Row label="Entrypoint">
            <Command value={config.entrypoint} />
          </Row>
          <Row label="Cmd">
            <Command value={config.cmd} />
          </Row>
          <Row label="WorkingDir">{config.workingDir ? <span className="mono">{config.workingDir}</span> : <span className="muted">—</span>}</Row>
          <Row label="User">{config.user ? <span className="mono">{config.user}</span> : <span className="muted">— (root)</span>}</Row>
          <Row label="ExposedPorts">
            <List items={config.exposedPorts} />
          </Row>
          <Row label="Volumes">
            <List items={config.volumes} />
          </Row>
          <Row label="Env">
            <List items={config.env} />
          </Row>
        </dl>
      </section>
      <section className="card" aria-labelledby="ov-labels">
        <h2 id="ov-labels">Labels</h2>
        {labels.length ? (
          <table className="simple-table kv">
            <tbody>
              {labels.map(([key, value]) => (
                <tr key={key}>
                  <th scope="row" className="mono">
                    {key}
                  </th>
                  <td className="mono break">{value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">No labels.</p>
        )}
      </section>
    </div>
  );
}

import { useEffect, useState } from 'react';
import type { AppInfo } from '../../../src-main/ipc/contract';
import { asLighterError, call } from '../../api';
import { useEngine, type EngineChoice } from '../../store/engine';
import { useSettings, type Theme } from '../../store/settings';
import { useUi } from '../../store/ui';

const THEMES: [Theme, string][] = [
  ['system', 'System'],
  ['light', 'Light'],
  ['dark', 'Dark'],
];

function EngineSection() {
  const { status, candidates, contexts, candidatesError, busy, select, loadCandidates } = useEngine();
  const toast = useUi((s) => s.toast);
  const [host, setHost] = useState('');
  const [hostError, setHostError] = useState<string>();

  useEffect(() => {
    void loadCandidates();
  }, [loadCandidates]);

  const choose = async (choice: EngineChoice, label: string) => {
    setHostError(undefined);
    try {
      const result = await select(choice);
      if (result.state === 'connected') toast({ kind: 'success', message: `Connected to ${result.engine?.name ?? 'the engine'} at ${result.engine?.host}` });
      else toast({ kind: 'error', message: `Could not connect to ${label}`, detail: result.attempts.map((a) => a.error).join('\n') });
      void loadCandidates();
    } catch (e) {
      const message = asLighterError(e).message;
      if ('host' in choice) setHostError(message);
      else toast({ kind: 'error', message: `Could not select ${label}`, detail: message });
    }
  };

  const engine = status.engine;
  const currentHost = status.state === 'connected' ? engine?.host : undefined;

  return (
    <section className="card" aria-labelledby="settings-engine">
      <h2 id="settings-engine">Container engine</h2>
      {status.state === 'connected' && engine ? (
        <dl className="props">
          <dt>Engine</dt>
          <dd>
            <span className="status-dot status-connected" aria-hidden="true" /> {engine.name} {engine.version}
          </dd>
          <dt>API version</dt>
          <dd>
            {engine.apiVersion}
            {engine.minApiVersion && <span className="muted"> (min {engine.minApiVersion})</span>}
          </dd>
          <dt>OS / arch</dt>
          <dd>
            {engine.os}/{engine.arch}
            {engine.kernelVersion && <span className="muted"> · kernel {engine.kernelVersion}</span>}
          </dd>
          {engine.operatingSystem && (
            <>
              <dt>Runs on</dt>
              <dd>{engine.operatingSystem}</dd>
            </>
          )}
          <dt>Host</dt>
          <dd className="mono break">{engine.host}</dd>
          <dt>Found by</dt>
          <dd>{engine.foundBy}</dd>
        </dl>
      ) : (
        <p className="muted">
          <span className={`status-dot status-${status.state}`} aria-hidden="true" /> {status.state === 'connecting' ? 'Connecting…' : 'Not connected.'}
        </p>
      )}

      <h3>Choose an engine</h3>
      <div className="choices" role="list" aria-label="Engines">
        <div role="listitem" className="choice">
          <div>
            <div>Automatic</div>
            <div className="muted small">$DOCKER_HOST, the current docker context, then the usual sockets.</div>
          </div>
          <button type="button" className="button button-small" disabled={busy} onClick={() => void choose({ auto: true }, 'automatic discovery')}>
            Use automatic
          </button>
        </div>
        {(contexts ?? []).map((c) => (
          <div role="listitem" className="choice" key={`ctx-${c.name}`}>
            <div>
              <div>
                Context <strong>{c.name}</strong> {c.current && <span className="badge badge-muted">current</span>}
              </div>
              <div className="muted small mono">{c.host}</div>
            </div>
            <button type="button" className="button button-small" disabled={busy || currentHost === c.host} onClick={() => void choose({ context: c.name }, `context ${c.name}`)}>
              {currentHost === c.host ? 'In use' : 'Use'}
            </button>
          </div>
        ))}
        {(candidates ?? [])
          .filter((c) => c.source !== 'context')
          .map((c) => (
            <div role="listitem" className="choice" key={`cand-${c.host}-${c.source}`}>
              <div>
                <div className="mono">{c.host}</div>
                <div className="muted small">{c.foundBy}</div>
              </div>
              <button type="button" className="button button-small" disabled={busy || currentHost === c.host} onClick={() => void choose({ host: c.host }, c.host)}>
                {currentHost === c.host ? 'In use' : 'Use'}
              </button>
            </div>
          ))}
        {candidates === undefined && !candidatesError && <div className="muted small">Looking for engines…</div>}
        {candidatesError && <div className="field-error">Could not look for engines: {candidatesError}</div>}
      </div>

      <form
        className="host-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (host.trim()) void choose({ host: host.trim() }, host.trim());
        }}
      >
        <label className="field grow">
          <span className="field-label">Host</span>
          <input
            className="input mono"
            placeholder="unix:///var/run/docker.sock or tcp://127.0.0.1:2375"
            value={host}
            spellCheck={false}
            aria-invalid={hostError ? true : undefined}
            aria-describedby={hostError ? 'host-error' : undefined}
            onChange={(e) => {
              setHost(e.target.value);
              setHostError(undefined);
            }}
          />
        </label>
        <button type="submit" className="button" disabled={busy || !host.trim()}>
          Connect
        </button>
      </form>
      {hostError && (
        <p id="host-error" className="field-error" role="alert">
          {hostError}
        </p>
      )}
    </section>
  );
}

function AppearanceSection() {
  const { theme, setTheme } = useSettings();
  return (
    <section className="card" aria-labelledby="settings-appearance">
      <h2 id="settings-appearance">Appearance</h2>
      <div className="segmented" role="radiogroup" aria-label="Theme">
        {THEMES.map(([value, label]) => (
          <label key={value}>
            <input type="radio" name="theme" value={value} checked={theme === value} onChange={() => setTheme(value)} />
            <span>{label}</span>
          </label>
        ))}
      </div>
      <p className="muted small">System follows your operating system’s light or dark setting.</p>
    </section>
  );
}

function AboutSection() {
  const [info, setInfo] = useState<AppInfo>();
  useEffect(() => {
    call('app.info')
      .then(setInfo)
      .catch(() => {});
  }, []);
  return (
    <section className="card" aria-labelledby="settings-about">
      <h2 id="settings-about">About</h2>
      <p>
        Lighter {info?.version ?? ''} <span className="muted">{info ? `· ${info.platform}/${info.arch}` : ''}</span>
      </p>
    </section>
  );
}

export function SettingsView() {
  return (
    <section className="view" aria-labelledby="settings-title">
      <header className="toolbar">
        <h1 id="settings-title">Settings</h1>
      </header>
      <div className="scroll-area settings">
        <EngineSection />
        <AppearanceSection />
        <AboutSection />
      </div>
    </section>
  );
}

import { useEffect } from 'react';
import { ErrorBoundary } from './components/ErrorBoundary';
import { Icon, Logo, type IconName } from './components/Icon';
import { Toasts } from './components/Toasts';
import { useEngine } from './store/engine';
import { runningCount, useJobs } from './store/jobs';
import { useUi, type View } from './store/ui';
import { ImageDetailView } from './views/detail/ImageDetailView';
import { EngineBanner } from './views/engine/EngineBanner';
import { ImagesView } from './views/images/ImagesView';
import { JobsView } from './views/jobs/JobsView';
import { SettingsView } from './views/settings/SettingsView';

const NAV: { name: 'images' | 'jobs' | 'settings'; label: string; icon: IconName; key: string }[] = [
  { name: 'images', label: 'Images', icon: 'images', key: '1' },
  { name: 'jobs', label: 'Jobs', icon: 'jobs', key: '2' },
  { name: 'settings', label: 'Settings', icon: 'settings', key: '3' },
];

function Sidebar() {
  const view = useUi((s) => s.view);
  const navigate = useUi((s) => s.navigate);
  const running = useJobs((s) => runningCount(s.jobs));
  const status = useEngine((s) => s.status);
  const section = view.name === 'image' ? 'images' : view.name;

  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <Logo />
        <span>Lighter</span>
      </div>
      <ul className="nav">
        {NAV.map((item) => (
          <li key={item.name}>
            <button
              type="button"
              className="nav-item"
              aria-current={section === item.name ? 'page' : undefined}
              title={`${item.label} (Ctrl+${item.key})`}
              onClick={() => navigate({ name: item.name })}
            >
              <Icon name={item.icon} />
              <span>{item.label}</span>
              {item.name === 'jobs' && running > 0 && (
                <span className="nav-badge" aria-label={`${running} running`}>
                  {running}
                </span>
              )}
            </button>
          </li>
        ))}
      </ul>
      <div className="sidebar-spacer" />
      <button type="button" className="engine-chip" onClick={() => navigate({ name: 'settings' })} title={status.engine ? `${status.engine.host} (${status.engine.foundBy})` : undefined}>
        <span className={`status-dot status-${status.state}`} aria-hidden="true" />
        <span className="engine-chip-text">
          <span className="truncate">{status.state === 'connected' ? (status.engine?.name ?? 'Engine') : status.state === 'connecting' ? 'Connecting…' : 'No engine'}</span>
          <span className="truncate engine-chip-detail">
            {status.state === 'connected' ? status.engine?.version : status.state === 'unreachable' ? 'Choose an engine…' : ''}
          </span>
        </span>
      </button>
    </nav>
  );
}

function CurrentView({ view }: { view: View }) {
  switch (view.name) {
    case 'images':
      return <ImagesView />;
    case 'image':
      return <ImageDetailView key={view.id} id={view.id} label={view.label} />;
    case 'jobs':
      return <JobsView />;
    case 'settings':
      return <SettingsView />;
  }
}

export function App() {
  const view = useUi((s) => s.view);
  const navigate = useUi((s) => s.navigate);

  useEffect(() => {
    // Ctrl/Cmd+1…3 switch views, like tabs in most desktop apps.
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      const item = NAV.find((n) => n.key === event.key);
      if (item) {
        event.preventDefault();
        navigate({ name: item.name });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigate]);

  return (
    <div className="app">
      <Sidebar />
      <main className="main">
        <EngineBanner />
        <ErrorBoundary resetKey={view.name === 'image' ? `image:${view.id}` : view.name}>
          <CurrentView view={view} />
        </ErrorBoundary>
      </main>
      <Toasts />
    </div>
  );
}

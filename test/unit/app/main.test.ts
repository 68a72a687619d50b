import { describe, expect, it, vi } from 'vitest';
import { createElectronMock } from './electron-mock';

const electron = createElectronMock();
const core = {
  router: { invoke: vi.fn(async () => ({ ok: true, value: 'dispatched' })) },
  jobs: { list: () => [{ state: 'running', progress: { current: 25, total: 100 } }] },
  listeners: [] as ((name: string, payload: unknown) => void)[],
  subscribe(listener: (name: string, payload: unknown) => void) {
    this.listeners.push(listener);
    return () => undefined;
  },
  close: vi.fn(async () => undefined),
};

vi.mock('electron', () => ({ ...electron.module, default: electron.module }));
vi.mock('../../../src-main/ipc/app-core', () => ({ createAppCore: () => core }));

describe('the Electron shell', async () => {
  await import('../../../src-main/app/main');
  electron.ready();
  await new Promise((r) => setTimeout(r, 0));
  const win = electron.windows[0];

  it('opens one window with the secure web preferences and the bundled page', () => {
    expect(electron.windows).toHaveLength(1);
    const prefs = win.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(String(prefs.preload)).toMatch(/preload[\\/]index\.cjs$/);
    expect(win.loaded).toMatch(/renderer[\\/]index\.html$/);
  });

  it('holds the single-instance lock', () => {
    expect(electron.module.app.requestSingleInstanceLock).toHaveBeenCalled();
  });

  it('binds the router behind a sender check', async () => {
    const handler = electron.handlers.get('lighter:invoke')!;
    expect(handler).toBeTypeOf('function');
    const rendererUrl = new URL('../renderer/index.html', `file://${String((win.options.webPreferences as { preload: string }).preload)}`).href;
    const mainFrame = { url: rendererUrl };
    expect(await handler({ sender: { mainFrame }, senderFrame: mainFrame }, 'images.list', {})).toEqual({ ok: true, value: 'dispatched' });
    const foreign = { url: 'https://evil.example/' };
    expect(await handler({ sender: { mainFrame: foreign }, senderFrame: foreign }, 'images.list', {})).toMatchObject({ ok: false });
    expect(core.router.invoke).toHaveBeenCalledTimes(1);
  });

  it('hardens the session: permissions denied', () => {
    const callback = vi.fn();
    electron.sessionHandlers.permission!({}, 'media', callback);
    expect(callback).toHaveBeenCalledWith(false);
  });

  it('blocks navigation and new windows in the app window', () => {
    const event = { preventDefault: vi.fn() };
    win.webContents.emit('will-navigate', event, 'https://evil.example/');
    expect(event.preventDefault).toHaveBeenCalled();
    expect(win.webContents.windowOpenHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
  });

  it('forwards core events to the window and shows job progress in the taskbar', () => {
    core.listeners[0]('job', { id: 'x' });
    expect(win.webContents.sent.at(-1)).toEqual(['lighter:event', 'job', { id: 'x' }]);
    expect(win.progress).toBe(0.25);
  });
});

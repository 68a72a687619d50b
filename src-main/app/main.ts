import { app, BrowserWindow, ipcMain, nativeTheme, session, shell } from 'electron';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createAppCore, type AppCore } from '../ipc/app-core';
import type { JobInfo } from '../core/jobs/types';
import { bindRouter, isAppFrame, sendEvent } from '../ipc/electron';
import { hardenContents, hardenSession, secureWebPreferences } from './security';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Where the page comes from: the dev server while developing, else the bundled file. */
const devServer = process.env.ELECTRON_RENDERER_URL;
const rendererDir = pathToFileURL(join(here, '../renderer/')).href;

export function isAppUrl(url: string): boolean {
  if (devServer && !app.isPackaged) return url.startsWith(devServer);
  return url.startsWith(rendererDir);
}

let core: AppCore | undefined;

function createWindow(core: AppCore): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 860,
    minHeight: 560,
    show: false,
    title: 'Lighter',
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#16181d' : '#ffffff',
    webPreferences: secureWebPreferences(join(here, '../preload/index.cjs')),
  });
  hardenContents(win.webContents, (url) => shell.openExternal(url), isAppUrl);
  win.once('ready-to-show', () => win.show());

  const off = core.subscribe((name, payload) => {
    sendEvent(win.webContents, name, payload);
    if (name === 'job') showTaskbarProgress(win, core.jobs.list());
  });
  win.on('closed', off);

  if (devServer && !app.isPackaged) void win.loadURL(devServer);
  else void win.loadFile(join(here, '../renderer/index.html'));
  return win;
}

/** The dock/taskbar shows the overall progress of running jobs. */
function showTaskbarProgress(win: BrowserWindow, jobs: JobInfo[]): void {
  if (win.isDestroyed()) return;
  const running = jobs.filter((j) => j.state === 'running' && j.progress.total);
  const total = running.reduce((sum, j) => sum + (j.progress.total ?? 0), 0);
  const done = running.reduce((sum, j) => sum + j.progress.current, 0);
  win.setProgressBar(total > 0 ? done / total : -1);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0];
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  app.on('web-contents-created', (_event, contents) => {
    hardenContents(contents, (url) => shell.openExternal(url), isAppUrl);
  });

  void app.whenReady().then(() => {
    hardenSession(session.defaultSession);
    core = createAppCore();
    bindRouter(ipcMain, core.router, isAppFrame(isAppUrl));
    createWindow(core);
    app.on('activate', () => {
      if (core && BrowserWindow.getAllWindows().length === 0) createWindow(core);
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('will-quit', () => {
    void core?.close();
  });
}

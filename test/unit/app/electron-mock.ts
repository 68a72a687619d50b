import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

/** A stand-in for the parts of the `electron` module the shell touches, recording what it is asked. */
export class FakeWebContents extends EventEmitter {
  sent: unknown[][] = [];
  windowOpenHandler?: (details: { url: string }) => { action: string };
  mainFrame = { url: '' };
  destroyed = false;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = handler;
  }
  send(...args: unknown[]) {
    this.sent.push(args);
  }
  isDestroyed() {
    return this.destroyed;
  }
}

export function createElectronMock() {
  const handlers = new Map<string, (...args: unknown[]) => unknown>();
  const windows: FakeWindow[] = [];
  const sessionHandlers: { permission?: (...a: unknown[]) => void; check?: (...a: unknown[]) => boolean; headers?: (...a: unknown[]) => void } = {};
  let ready!: () => void;
  const whenReady = new Promise<void>((resolve) => (ready = resolve));

  class FakeWindow extends EventEmitter {
    options: Record<string, unknown>;
    webContents = new FakeWebContents();
    loaded?: string;
    progress?: number;
    constructor(options: Record<string, unknown>) {
      super();
      this.options = options;
      windows.push(this);
    }
    loadFile(file: string) {
      this.loaded = file;
      return Promise.resolve();
    }
    loadURL(url: string) {
      this.loaded = url;
      return Promise.resolve();
    }
    setProgressBar(value: number) {
      this.progress = value;
    }
    isDestroyed() {
      return false;
    }
    static getAllWindows() {
      return windows;
    }
  }

  const app = Object.assign(new EventEmitter(), {
    isPackaged: true,
    requestSingleInstanceLock: vi.fn(() => true),
    whenReady: () => whenReady,
    quit: vi.fn(),
  });

  const module = {
    app,
    BrowserWindow: FakeWindow,
    ipcMain: {
      handle: vi.fn((channel: string, handler: (...args: unknown[]) => unknown) => handlers.set(channel, handler)),
      removeHandler: vi.fn((channel: string) => handlers.delete(channel)),
    },
    nativeTheme: { shouldUseDarkColors: false },
    shell: { openExternal: vi.fn(() => Promise.resolve()) },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: (...a: unknown[]) => void) => (sessionHandlers.permission = h),
        setPermissionCheckHandler: (h: (...a: unknown[]) => boolean) => (sessionHandlers.check = h),
        webRequest: { onHeadersReceived: (h: (...a: unknown[]) => void) => (sessionHandlers.headers = h) },
      },
    },
  };

  return { module, handlers, windows, sessionHandlers, ready: () => ready() };
}

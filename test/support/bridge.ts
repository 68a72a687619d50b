/**
 * The e2e bridge: the BUILT renderer served on loopback with the app's CSP, and a page whose
 * `window.lighter` forwards to the REAL router of an app core (the same one the Electron shell binds)
 * talking to the REAL test engine. Events from the core are pushed into the page as they happen.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CONTENT_SECURITY_POLICY } from '../../src-main/app/security';
import { createAppCore, type AppCore } from '../../src-main/ipc/app-core';
import type { EventName, LighterBridge } from '../../src-main/ipc/contract';

const ROOT = resolve(import.meta.dirname, '../..');
export const RENDERER_OUT = join(ROOT, 'out/renderer');
/** Files outside src-renderer that the renderer bundle includes. */
const SHARED_SOURCES = ['src-main/ipc/contract.ts', 'src-main/core/errors.ts', 'src-main/core/engine/types.ts', 'src-main/core/jobs/types.ts', 'electron.vite.config.ts'];

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newestMtime(join(path, name))), stat.mtimeMs);
}

function rendererIsFresh(): boolean {
  const index = join(RENDERER_OUT, 'index.html');
  if (!existsSync(index)) return false;
  const built = statSync(index).mtimeMs;
  const sources = Math.max(newestMtime(join(ROOT, 'src-renderer')), ...SHARED_SOURCES.map((p) => newestMtime(join(ROOT, p))));
  return built >= sources;
}

let building: Promise<void> | undefined;

/**
 * Builds the renderer (only that part of electron.vite.config.ts, with vite's API) when out/renderer
 * is missing or older than its sources.
 */
export function ensureRendererBuilt(): Promise<void> {
  building ??= (async () => {
    if (rendererIsFresh()) return;
    const started = Date.now();
    const [{ build }, configModule] = await Promise.all([import('vite'), import('../../electron.vite.config')]);
    const config = configModule.default as unknown as { renderer: Record<string, unknown> & { build?: Record<string, unknown> } };
    const renderer = config.renderer;
    // vitest sets NODE_ENV=test, which would give React's development build and dev JSX: build what ships.
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({
        ...renderer,
        configFile: false,
        base: './',
        mode: 'production',
        logLevel: 'warn',
        // Loaded from disk by a desktop app: one bundle is fine, whatever its size.
        build: { ...renderer.build, outDir: RENDERER_OUT, emptyOutDir: true, chunkSizeWarningLimit: 4096 },
      });
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
    console.log(`renderer built into out/renderer in ${Date.now() - started} ms`);
  })();
  return building;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Serves out/renderer on 127.0.0.1 (random port) with the same CSP header the app session adds. */
export async function serveRenderer(dir = RENDERER_OUT): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(dir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(dir + sep) || !existsSync(file) || statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'Cache-Control': 'no-store',
    });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

/** Runs in the page before any of its scripts: the same three-function object the preload exposes. */
function installBridge(): void {
  type Listener = (name: string, payload: unknown) => void;
  const listeners = new Set<Listener>();
  const w = window as unknown as {
    __lighterInvoke(method: string, input: unknown): Promise<unknown>;
    __lighterEmit(name: string, payload: unknown): void;
    lighter: unknown;
  };
  const bridge = {
    invoke: (method: string, input?: unknown) => w.__lighterInvoke(method, input),
    on(listener: Listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    pathForFile: () => '',
  };
  Object.defineProperty(window, 'lighter', { value: Object.freeze(bridge), enumerable: true });
  w.__lighterEmit = (name, payload) => {
    for (const listener of listeners) listener(name, payload);
  };
}

export interface AppPage {
  page: Page;
  core: AppCore;
  context: BrowserContext;
  /** Every event the core sent, in order (for assertions). */
  events: { name: EventName; payload: unknown }[];
  close(): Promise<void>;
}

export interface OpenAppOptions {
  /** DOCKER_HOST of the core: the test engine, or somewhere nothing listens. */
  dockerHost: string;
  url: string;
  colorScheme?: 'light' | 'dark';
  viewport?: { width: number; height: number };
}

/** A fresh app core, a fresh browser context and the app loaded in it, bridged together. */
export async function openApp(browser: Browser, options: OpenAppOptions): Promise<AppPage> {
  const home = mkdtempSync(join(tmpdir(), 'lighter-e2e-home-'));
  // Only the engine of the test: no user config, no contexts, no other sockets from this machine.
  const core = createAppCore({ env: { DOCKER_HOST: options.dockerHost, HOME: home, PATH: process.env.PATH }, home });
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
    deviceScaleFactor: 1,
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(options.url).origin }).catch(() => {});
  const page = await context.newPage();
  const events: AppPage['events'] = [];

  await page.exposeBinding('__lighterInvoke', (_source, method: string, input: unknown) => core.router.invoke(method, input));
  await page.addInitScript(installBridge);
  const unsubscribe = core.subscribe((name, payload) => {
    events.push({ name, payload });
    page.evaluate(([n, p]) => (window as unknown as { __lighterEmit(n: string, p: unknown): void }).__lighterEmit(n as string, p), [name, payload] as const).catch(() => {
      // The page may be closing or navigating; the next event or reload catches up.
    });
  });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });

  await page.goto(options.url);

  return {
    page,
    core,
    context,
    events,
    async close() {
      unsubscribe();
      await context.close().catch(() => {});
      await core.close();
      rmSync(home, { recursive: true, force: true });
      if (pageErrors.length) console.warn(`page errors:\n${pageErrors.join('\n')}`);
    },
  };
}

/** Typing check: the installed object has the LighterBridge shape. */
export type InstalledBridge = LighterBridge;

import { homedir } from 'node:os';
import { EngineConnection } from '../core/engine';
import { JobManager } from '../core/jobs/manager';
import type { EventName, Events } from './contract';
import { createHandlers } from './handlers';
import { createRouter, type Router } from './router';

export type EventSink = <E extends EventName>(name: E, payload: Events[E]) => void;

export interface AppCore {
  router: Router;
  jobs: JobManager;
  engine: EngineConnection;
  /** Receives every event for the renderer; returns an unsubscribe function. */
  subscribe(listener: (name: EventName, payload: unknown) => void): () => void;
  close(): Promise<void>;
}

export interface AppCoreOptions {
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/**
 * Everything behind the window, without Electron: the engine connection, the jobs, the router and the
 * event stream. The Electron shell and the browser test bridge each bind one of these.
 */
export function createAppCore(options: AppCoreOptions = {}): AppCore {
  const env = options.env ?? process.env;
  const home = options.home ?? homedir();
  const jobs = new JobManager();
  const engine = new EngineConnection({ env, home });
  const router = createRouter(createHandlers({ engine, jobs, env, home }));
  const listeners = new Set<(name: EventName, payload: unknown) => void>();
  const emit: EventSink = (name, payload) => {
    for (const listener of listeners) listener(name, payload);
  };

  const unsubscribe = [
    jobs.subscribe((job) => emit('job', job)),
    engine.onStatus((status) => emit('engine.status', status)),
    engine.onImagesChanged(() => emit('images.changed', { at: Date.now() })),
  ];
  void engine.refresh();

  return {
    router,
    jobs,
    engine,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      for (const off of unsubscribe) off();
      jobs.cancelAll();
      engine.close();
    },
  };
}

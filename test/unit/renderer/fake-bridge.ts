import type { ImageSummary } from '../../../src-main/core/engine/types';
import type { ErrorValue } from '../../../src-main/core/errors';
import type { EventName, LighterBridge, Reply } from '../../../src-main/ipc/contract';

type Handler = (input: unknown) => unknown;

export interface FakeBridge {
  bridge: LighterBridge;
  /** Pushes an event to every listener, as the main process would. */
  emit(name: EventName, payload: unknown): void;
  calls: { method: string; input: unknown }[];
  handlers: Record<string, Handler>;
}

/** Raised by a handler to make the fake reply `{ok:false, error}`. */
export class FakeError {
  constructor(readonly value: ErrorValue) {}
}

/** A window.lighter stand-in: replies come from plain functions, events are pushed by the test. */
export function fakeBridge(handlers: Record<string, Handler> = {}): FakeBridge {
  const listeners = new Set<(name: EventName, payload: unknown) => void>();
  const calls: FakeBridge['calls'] = [];
  const fake: FakeBridge = {
    calls,
    handlers,
    emit(name, payload) {
      for (const l of listeners) l(name, payload);
    },
    bridge: {
      async invoke(method, input): Promise<Reply> {
        calls.push({ method, input });
        const handler = fake.handlers[method];
        if (!handler) return { ok: false, error: { code: 'INTERNAL', message: `no fake for ${method}` } };
        try {
          return { ok: true, value: await handler(input) };
        } catch (e) {
          if (e instanceof FakeError) return { ok: false, error: e.value };
          throw e;
        }
      },
      on(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      pathForFile: () => '',
    },
  };
  return fake;
}

let n = 0;
export function image(partial: Partial<ImageSummary> = {}): ImageSummary {
  n++;
  const hex = n.toString(16).padStart(64, '0');
  return {
    id: `sha256:${hex}`,
    shortId: hex.slice(0, 12),
    repoTags: [`example/app${n}:latest`],
    repoDigests: [],
    created: 1_700_000_000 + n,
    size: 1000 * n,
    sharedSize: 0,
    uniqueSize: 1000 * n,
    containers: 0,
    dangling: false,
    platform: 'linux/amd64',
    labels: {},
    ...partial,
  };
}

export const connected = {
  state: 'connected' as const,
  attempts: [],
  engine: {
    name: 'Docker Engine',
    version: '26.1.5',
    apiVersion: '1.45',
    os: 'linux',
    arch: 'amd64',
    host: 'unix:///run/test.sock',
    source: 'DOCKER_HOST' as const,
    foundBy: '$DOCKER_HOST',
  },
};

/** Follows the engine's /events stream for images; its end means the engine went away. */
import type Docker from 'dockerode';
import type { ImageEvent } from './types';

export interface EventWatch {
  stop(): void;
}

export interface WatchOptions {
  /** Events are gathered until the stream has been quiet this long. */
  debounceMs: number;
  onEvents(events: ImageEvent[]): void;
  /** The stream failed to open, ended or broke; not called after stop(). */
  onEnd(reason: string): void;
}

interface RawEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  time?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/** Image actions that change what `listImages` returns. */
const listChanging = new Set(['pull', 'push', 'tag', 'untag', 'delete', 'load', 'import', 'save', 'prune', 'create']);

export function watchImageEvents(docker: Docker, options: WatchOptions): EventWatch {
  const controller = new AbortController();
  let stopped = false;
  let ended = false;
  let pending: ImageEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  let stream: NodeJS.ReadableStream & { destroy?: () => void } | undefined;

  const end = (reason: string) => {
    if (stopped || ended) return;
    ended = true;
    if (timer) clearTimeout(timer);
    options.onEnd(reason);
  };

  const flush = () => {
    timer = undefined;
    const events = pending;
    pending = [];
    if (!stopped && events.length) options.onEvents(events);
  };

  const accept = (line: string) => {
    if (!line.trim()) return;
    let raw: RawEvent;
    try {
      raw = JSON.parse(line) as RawEvent;
    } catch {
      return; // a malformed line says nothing useful; the next one may
    }
    const action = raw.Action ?? raw.status ?? '';
    if ((raw.Type && raw.Type !== 'image') || !listChanging.has(action)) return;
    pending.push({ action, id: raw.Actor?.ID ?? raw.id ?? '', time: raw.time ?? Math.floor(Date.now() / 1000) });
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, options.debounceMs);
  };

  docker
    .getEvents({ filters: JSON.stringify({ type: ['image'] }), abortSignal: controller.signal } as Docker.GetEventsOptions)
    .then((s) => {
      stream = s as typeof stream;
      if (stopped) {
        stream!.destroy?.();
        return;
      }
      let buffered = '';
      s.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) accept(line);
      });
      s.on('error', (e: Error) => end(e.message || 'the event stream failed'));
      s.on('end', () => end('the event stream ended'));
      s.on('close', () => end('the event stream closed'));
    })
    .catch((e: Error) => end(e.message || 'the event stream could not be opened'));

  return {
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      controller.abort();
      stream?.destroy?.();
    },
  };
}

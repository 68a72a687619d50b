/**
 * The app's one link to an engine: finds and connects it, tells listeners how it is going, follows
 * the engine's image events, and when the engine goes away keeps retrying in the background.
 */
import { homedir } from 'node:os';
import type Docker from 'dockerode';
import { LighterError } from '../errors';
import { connectEngine, unreachableError, type ConnectedEngine } from './connect';
import { discoverEngines, selectionCandidates, type DiscoverOptions } from './discover';
import { watchImageEvents, type EventWatch } from './events';
import type { EngineAttempt, EngineCandidate, EngineSelection, EngineStatus, ImageEvent } from './types';

function selectionHost(selection?: EngineSelection): string {
  return selection && 'host' in selection ? selection.host : '';
}

export interface EngineConnectionOptions {
  env?: NodeJS.ProcessEnv;
  home?: string;
  platform?: NodeJS.Platform;
  exists?: (path: string) => boolean;
  selection?: EngineSelection;
  connectTimeoutMs?: number;
  /** First background retry after this many ms; doubles up to maxRetryMs. */
  firstRetryMs?: number;
  maxRetryMs?: number;
  /** Quiet time gathering image events into one notification. */
  debounceMs?: number;
}

type Listener<T> = (value: T) => void;

export class EngineConnection {
  private readonly options: EngineConnectionOptions;
  private selection?: EngineSelection;
  private current?: ConnectedEngine;
  private state: EngineStatus['state'] = 'connecting';
  private attempts: EngineAttempt[] = [];
  private retryTimer?: NodeJS.Timeout;
  private retryAt?: number;
  private retryDelay: number;
  private watch?: EventWatch;
  /** Bumped by every refresh/close so late answers of an older round are ignored. */
  private round = 0;
  private closed = false;
  private connectedBefore = false;
  private readonly statusListeners = new Set<Listener<EngineStatus>>();
  private readonly imageListeners = new Set<Listener<ImageEvent[]>>();

  constructor(options: EngineConnectionOptions = {}) {
    this.options = options;
    this.selection = options.selection;
    this.retryDelay = options.firstRetryMs ?? 500;
  }

  status(): EngineStatus {
    const status: EngineStatus = { state: this.state, attempts: [...this.attempts] };
    if (this.state === 'connected' && this.current) status.engine = this.current.info;
    if (this.state === 'unreachable' && this.retryAt !== undefined) status.retryInMs = Math.max(0, this.retryAt - Date.now());
    return status;
  }

  onStatus(listener: Listener<EngineStatus>): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Called (debounced) with the image events since the last call, and once after a reconnect. */
  onImagesChanged(listener: Listener<ImageEvent[]>): () => void {
    this.imageListeners.add(listener);
    return () => this.imageListeners.delete(listener);
  }

  /** The connected engine, or ENGINE_UNREACHABLE saying what was tried. */
  docker(): Docker {
    if (this.state === 'connected' && this.current) return this.current.docker;
    if (this.state === 'connecting') {
      throw new LighterError('ENGINE_UNREACHABLE', 'Still connecting to the engine', { attempts: this.attempts });
    }
    throw unreachableError(this.attempts);
  }

  /** Use this engine from now on (undefined: back to automatic discovery), and connect to it. */
  select(selection: EngineSelection | undefined): Promise<EngineStatus> {
    this.selection = selection;
    return this.refresh();
  }

  /** Discovers and connects now, cancelling any pending retry. Resolves with the new status; never rejects. */
  refresh(): Promise<EngineStatus> {
    return this.connect(false);
  }

  /** A background retry stays "unreachable" (with the last attempts) until it succeeds. */
  private async connect(background: boolean): Promise<EngineStatus> {
    if (this.closed) return this.status();
    const round = ++this.round;
    this.clearRetry();
    this.stopWatch();
    this.current = undefined;
    if (!background) this.setState('connecting', []);

    const attempts: EngineAttempt[] = [];
    let connected: ConnectedEngine | undefined;
    let candidates: EngineCandidate[] = [];
    try {
      candidates = this.candidates();
    } catch (e) {
      // An unknown context or a malformed host: a failed attempt like any other.
      attempts.push({ host: selectionHost(this.selection), foundBy: 'your choice', error: (e as Error).message });
    }
    for (const candidate of candidates) {
      try {
        connected = await connectEngine(candidate, { timeoutMs: this.options.connectTimeoutMs, env: this.env() });
        break;
      } catch (e) {
        attempts.push({ host: candidate.host, foundBy: candidate.foundBy, error: (e as Error).message });
      }
      if (round !== this.round) return this.status();
    }
    if (round !== this.round) return this.status();

    if (!connected) {
      if (!attempts.length) attempts.push({ host: '', foundBy: 'discovery', error: unreachableError([]).message });
      this.setState('unreachable', attempts);
      this.scheduleRetry();
      return this.status();
    }
    this.current = connected;
    this.retryDelay = this.options.firstRetryMs ?? 500;
    this.startWatch(connected, round);
    this.setState('connected', attempts);
    // Whatever happened while we were away, the image list may differ now.
    if (this.connectedBefore) this.emitImages([]);
    this.connectedBefore = true;
    return this.status();
  }

  close(): void {
    this.closed = true;
    this.round++;
    this.clearRetry();
    this.stopWatch();
    this.current = undefined;
    this.statusListeners.clear();
    this.imageListeners.clear();
  }

  private env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  private candidates() {
    const discover: DiscoverOptions = {
      env: this.env(),
      home: this.options.home ?? homedir(),
      platform: this.options.platform,
      exists: this.options.exists,
    };
    return this.selection ? selectionCandidates(this.selection, discover) : discoverEngines(discover);
  }

  private setState(state: EngineStatus['state'], attempts: EngineAttempt[]): void {
    this.state = state;
    this.attempts = attempts;
    const status = this.status();
    for (const listener of [...this.statusListeners]) {
      try {
        listener(status);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  private emitImages(events: ImageEvent[]): void {
    for (const listener of [...this.imageListeners]) {
      try {
        listener(events);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(delay * 2, this.options.maxRetryMs ?? 5000);
    this.retryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryAt = undefined;
      this.connect(true).catch(() => undefined); // connect reports through status, never by rejecting
    }, delay);
    this.retryTimer.unref?.();
    // Listeners learn when the next try is.
    this.setState(this.state, this.attempts);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryAt = undefined;
  }

  private startWatch(connected: ConnectedEngine, round: number): void {
    this.watch = watchImageEvents(connected.docker, {
      debounceMs: this.options.debounceMs ?? 250,
      onEvents: (events) => {
        if (round === this.round) this.emitImages(events);
      },
      onEnd: (reason) => {
        if (round !== this.round || this.closed) return;
        // The event stream only ends when the engine goes away (or the link to it breaks).
        this.round++;
        this.watch = undefined;
        this.current = undefined;
        this.setState('unreachable', [{ host: connected.candidate.host, foundBy: connected.candidate.foundBy, error: `The engine stopped answering: ${reason}` }]);
        this.scheduleRetry();
      },
    });
  }

  private stopWatch(): void {
    this.watch?.stop();
    this.watch = undefined;
  }
}

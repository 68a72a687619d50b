import { create } from 'zustand';
import type { EngineStatus } from '../../src-main/core/engine/types';
import type { ContextInfo } from '../../src-main/ipc/contract';
import type { EngineCandidate } from '../../src-main/core/engine/types';
import { asLighterError, call } from '../api';

export type EngineChoice = { context: string } | { host: string } | { auto: true };

interface EngineState {
  status: EngineStatus;
  /** When the status arrived (for the retry countdown). */
  statusAt: number;
  candidates?: EngineCandidate[];
  contexts?: ContextInfo[];
  candidatesError?: string;
  busy: boolean;
  setStatus(status: EngineStatus): void;
  load(): Promise<void>;
  retry(): Promise<void>;
  select(choice: EngineChoice): Promise<EngineStatus>;
  loadCandidates(): Promise<void>;
}

export const useEngine = create<EngineState>()((set) => ({
  status: { state: 'connecting', attempts: [] },
  statusAt: Date.now(),
  busy: false,

  setStatus: (status) => set({ status, statusAt: Date.now() }),

  async load() {
    try {
      set({ status: await call('engine.status'), statusAt: Date.now() });
    } catch (e) {
      const error = asLighterError(e);
      set({ status: { state: 'unreachable', attempts: [{ host: '', foundBy: 'Lighter', error: error.message }] }, statusAt: Date.now() });
    }
  },

  async retry() {
    set({ busy: true });
    try {
      set({ status: await call('engine.retry'), statusAt: Date.now() });
    } finally {
      set({ busy: false });
    }
  },

  async select(choice) {
    set({ busy: true });
    try {
      const status = await call('engine.select', choice);
      set({ status, statusAt: Date.now() });
      return status;
    } finally {
      set({ busy: false });
    }
  },

  async loadCandidates() {
    try {
      const { candidates, contexts } = await call('engine.candidates');
      set({ candidates, contexts, candidatesError: undefined });
    } catch (e) {
      set({ candidatesError: asLighterError(e).message });
    }
  },
}));

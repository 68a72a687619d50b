import { create } from 'zustand';
import type { ImageSummary } from '../../src-main/core/engine/types';
import type { ErrorValue } from '../../src-main/core/errors';
import { asLighterError, call } from '../api';
import { defaultDirection, emptyFilters, engineFilter, type ImageFilters, type SortColumn, type SortState } from './image-query';

interface ImagesState {
  list: ImageSummary[];
  loading: boolean;
  /** True once a list has arrived, so an empty table means "no images", not "not loaded yet". */
  loaded: boolean;
  error?: ErrorValue;
  filters: ImageFilters;
  sort: SortState;
  /** Selected image IDs. */
  selection: ReadonlySet<string>;
  refresh(): Promise<void>;
  setFilters(update: Partial<ImageFilters>): void;
  sortBy(column: SortColumn): void;
  setSelection(selection: ReadonlySet<string>): void;
}

let generation = 0;
let filterTimer: ReturnType<typeof setTimeout> | undefined;

export const useImages = create<ImagesState>()((set, get) => ({
  list: [],
  loading: false,
  loaded: false,
  filters: emptyFilters,
  sort: { column: 'created', direction: 'descending' },
  selection: new Set(),

  async refresh() {
    // Only the latest refresh may write: an older, slower answer must not overwrite a newer list.
    const mine = ++generation;
    set({ loading: true });
    try {
      const filter = engineFilter(get().filters);
      const list = await call('images.list', filter ? { filter } : {});
      if (mine !== generation) return;
      const ids = new Set(list.map((i) => i.id));
      const selection = new Set([...get().selection].filter((id) => ids.has(id)));
      set({ list, loaded: true, loading: false, error: undefined, selection });
    } catch (e) {
      if (mine !== generation) return;
      set({ loading: false, error: asLighterError(e).toValue() });
    }
  },

  setFilters(update) {
    const before = get().filters;
    const filters = { ...before, ...update };
    set({ filters });
    const onlyText = Object.keys(update).every((k) => k === 'text');
    if (onlyText) return;
    // Typed fields (reference, before, since) wait for a pause in typing; toggles go at once.
    const typed = 'reference' in update || 'before' in update || 'since' in update;
    clearTimeout(filterTimer);
    if (typed) filterTimer = setTimeout(() => void get().refresh(), 300);
    else void get().refresh();
  },

  sortBy(column) {
    const { sort } = get();
    const direction =
      sort.column === column ? (sort.direction === 'ascending' ? 'descending' : 'ascending') : defaultDirection(column);
    set({ sort: { column, direction } });
  },

  setSelection: (selection) => set({ selection }),
}));

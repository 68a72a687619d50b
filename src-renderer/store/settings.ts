import { create } from 'zustand';

export type Theme = 'system' | 'light' | 'dark';
const KEY = 'lighter.theme';

function storedTheme(): Theme {
  try {
    const value = globalThis.localStorage?.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}

/** The page follows the OS unless the user chose; the choice is a data attribute the CSS reads. */
export function applyTheme(theme: Theme): void {
  if (typeof document === 'undefined') return;
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

interface SettingsState {
  theme: Theme;
  setTheme(theme: Theme): void;
}

export const useSettings = create<SettingsState>()((set) => ({
  theme: storedTheme(),
  setTheme(theme) {
    try {
      globalThis.localStorage?.setItem(KEY, theme);
    } catch {
      // Storage can be unavailable; the choice still applies for this session.
    }
    applyTheme(theme);
    set({ theme });
  },
}));

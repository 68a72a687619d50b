import { create } from 'zustand';

export type View =
  | { name: 'images' }
  | { name: 'image'; id: string; label: string }
  | { name: 'jobs' }
  | { name: 'settings' };

export interface Toast {
  id: number;
  kind: 'success' | 'error' | 'info';
  message: string;
  detail?: string;
}

interface UiState {
  view: View;
  toasts: Toast[];
  navigate(view: View): void;
  toast(toast: Omit<Toast, 'id'>): void;
  dismiss(id: number): void;
}

let nextToast = 1;
const TOAST_MS = { success: 4000, info: 5000, error: 9000 };

export const useUi = create<UiState>()((set, get) => ({
  view: { name: 'images' },
  toasts: [],
  navigate: (view) => set({ view }),
  toast(toast) {
    const id = nextToast++;
    set({ toasts: [...get().toasts, { ...toast, id }].slice(-4) });
    setTimeout(() => get().dismiss(id), TOAST_MS[toast.kind]);
  },
  dismiss: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
}));

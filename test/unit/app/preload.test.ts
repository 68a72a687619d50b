import { describe, expect, it, vi } from 'vitest';
import type { LighterBridge } from '../../../src-main/ipc/contract';

const exposed: Record<string, unknown> = {};
const listeners = new Map<string, (...args: unknown[]) => void>();
const ipcRenderer = {
  invoke: vi.fn(async (...args: unknown[]) => ({ ok: true, value: args })),
  on: vi.fn((channel: string, handler: (...args: unknown[]) => void) => listeners.set(channel, handler)),
  removeListener: vi.fn((channel: string) => listeners.delete(channel)),
};
const electron = {
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
  ipcRenderer,
  webUtils: { getPathForFile: (file: { name: string }) => `/dropped/${file.name}` },
};
vi.mock('electron', () => ({ ...electron, default: electron }));

describe('preload', async () => {
  await import('../../../src-main/preload/index');
  const bridge = exposed.lighter as LighterBridge;

  it('exposes exactly one object with three functions, never ipcRenderer', () => {
    expect(Object.keys(exposed)).toEqual(['lighter']);
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'on', 'pathForFile']);
    expect(Object.values(bridge).every((v) => typeof v === 'function')).toBe(true);
  });

  it('sends calls on the invoke channel', async () => {
    const reply = await bridge.invoke('images.list', {});
    expect(reply).toEqual({ ok: true, value: ['lighter:invoke', 'images.list', {}] });
  });

  it('delivers events without the Electron event object, and unsubscribes', () => {
    const seen: unknown[] = [];
    const off = bridge.on((name, payload) => seen.push([name, payload]));
    listeners.get('lighter:event')!({ sender: 'secret' }, 'images.changed', { at: 1 });
    expect(seen).toEqual([['images.changed', { at: 1 }]]);
    off();
    expect(listeners.has('lighter:event')).toBe(false);
  });

  it('turns a dropped file into its path', () => {
    expect(bridge.pathForFile({ name: 'image.tar' } as File)).toBe('/dropped/image.tar');
  });
});

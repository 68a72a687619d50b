import { describe, expect, it, vi } from 'vitest';
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { bindRouter, isAppFrame, sendEvent } from '../../../src-main/ipc/electron';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from '../../../src-main/ipc/channels';
import type { Router } from '../../../src-main/ipc/router';
import { FakeWebContents } from './electron-mock';

function fakeIpcMain() {
  const handlers = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  return {
    handlers,
    ipcMain: {
      handle: (channel: string, h: (...args: unknown[]) => Promise<unknown>) => handlers.set(channel, h),
      removeHandler: (channel: string) => handlers.delete(channel),
    } as unknown as IpcMain,
  };
}

function eventFrom(url: string, { subframe = false } = {}): IpcMainInvokeEvent {
  const mainFrame = { url };
  const senderFrame = subframe ? { url } : mainFrame;
  return { sender: { mainFrame }, senderFrame } as unknown as IpcMainInvokeEvent;
}

describe('Electron IPC binding', () => {
  const appUrl = (url: string) => url.startsWith('file:///opt/lighter/renderer/');
  const router: Router = { invoke: vi.fn(async (method: string, input: unknown) => ({ ok: true as const, value: { method, input } })) };

  it('registers one handler and dispatches calls from the app page', async () => {
    const { ipcMain, handlers } = fakeIpcMain();
    const unbind = bindRouter(ipcMain, router, isAppFrame(appUrl));
    expect([...handlers.keys()]).toEqual([INVOKE_CHANNEL]);
    const reply = await handlers.get(INVOKE_CHANNEL)!(eventFrom('file:///opt/lighter/renderer/index.html'), 'images.list', {});
    expect(reply).toEqual({ ok: true, value: { method: 'images.list', input: {} } });
    unbind();
    expect(handlers.size).toBe(0);
  });

  it.each([
    ['a remote page', eventFrom('https://evil.example/')],
    ['a file elsewhere', eventFrom('file:///tmp/evil.html')],
    ['a subframe of the app', eventFrom('file:///opt/lighter/renderer/index.html', { subframe: true })],
    ['a frame that is gone', { sender: { mainFrame: {} }, senderFrame: null } as unknown as IpcMainInvokeEvent],
  ])('refuses calls from %s without dispatching them', async (_label, event) => {
    const invoke = vi.fn();
    const { ipcMain, handlers } = fakeIpcMain();
    bindRouter(ipcMain, { invoke }, isAppFrame(appUrl));
    const reply = await handlers.get(INVOKE_CHANNEL)!(event, 'images.list', {});
    expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: 'Call refused: unknown sender' } });
    expect(invoke).not.toHaveBeenCalled();
  });

  it('passes a non-string method as empty so the router refuses it', async () => {
    const invoke = vi.fn(async () => ({ ok: true as const, value: null }));
    const { ipcMain, handlers } = fakeIpcMain();
    bindRouter(ipcMain, { invoke }, isAppFrame(appUrl));
    await handlers.get(INVOKE_CHANNEL)!(eventFrom('file:///opt/lighter/renderer/index.html'), { evil: true }, {});
    expect(invoke).toHaveBeenCalledWith('', {});
  });

  it('sends events on the event channel, but not to a destroyed window', () => {
    const contents = new FakeWebContents();
    sendEvent(contents as unknown as WebContents, 'images.changed', { at: 1 });
    contents.destroyed = true;
    sendEvent(contents as unknown as WebContents, 'images.changed', { at: 2 });
    expect(contents.sent).toEqual([[EVENT_CHANNEL, 'images.changed', { at: 1 }]]);
  });
});

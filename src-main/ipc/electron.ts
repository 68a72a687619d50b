import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { LighterError } from '../core/errors';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './channels';
import type { EventName, Reply } from './contract';
import type { Router } from './router';

/** Decides whether a frame may call us: only our own page's main frame. */
export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

export function isAppFrame(appUrl: (url: string) => boolean): SenderCheck {
  return (event) => {
    const frame = event.senderFrame;
    if (!frame) return false;
    if (frame !== event.sender.mainFrame) return false;
    return appUrl(frame.url);
  };
}

/** Binds the router to Electron's IPC; calls from any other sender are refused, not dispatched. */
export function bindRouter(ipcMain: IpcMain, router: Router, isTrusted: SenderCheck): () => void {
  ipcMain.handle(INVOKE_CHANNEL, async (event, method: unknown, input: unknown): Promise<Reply> => {
    if (!isTrusted(event)) {
      return { ok: false, error: new LighterError('INVALID_INPUT', 'Call refused: unknown sender').toValue() };
    }
    return router.invoke(typeof method === 'string' ? method : '', input);
  });
  return () => ipcMain.removeHandler(INVOKE_CHANNEL);
}

/** Sends one event to a window, unless it is gone. */
export function sendEvent(contents: WebContents, name: EventName, payload: unknown): void {
  if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, name, payload);
}

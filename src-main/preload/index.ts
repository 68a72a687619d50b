import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { EventName, LighterBridge } from '../ipc/contract';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from '../ipc/channels';

/**
 * The page's only door to the main process: one object, three functions. No ipcRenderer, no Node.
 * Input is validated in main, where it cannot be bypassed.
 */
const bridge: LighterBridge = {
  invoke: (method, input) => ipcRenderer.invoke(INVOKE_CHANNEL, method, input),
  on(listener) {
    const handler = (_event: Electron.IpcRendererEvent, name: EventName, payload: unknown) => listener(name, payload);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, handler);
    };
  },
  pathForFile: (file) => webUtils.getPathForFile(file),
};

contextBridge.exposeInMainWorld('lighter', bridge);

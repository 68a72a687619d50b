import type { LighterBridge } from '../src-main/ipc/contract';

declare global {
  interface Window {
    /** Installed by the preload (or by the test bridge); absent when the page is opened on its own. */
    lighter?: LighterBridge;
  }
}

export {};

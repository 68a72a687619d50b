/** The two Electron IPC channels; everything else is a method name inside them. */
export const INVOKE_CHANNEL = 'lighter:invoke';
export const EVENT_CHANNEL = 'lighter:event';

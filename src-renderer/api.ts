import { LighterError, type ErrorValue } from '../src-main/core/errors';
import type { EventName, Events, Input, LighterBridge, MethodName, Reply, Result } from '../src-main/ipc/contract';

/**
 * The renderer's typed client over `window.lighter`. Calls resolve with the method's result or throw
 * the LighterError the main process raised, rebuilt with its code and details.
 */

function bridge(): LighterBridge {
  const found = typeof window === 'undefined' ? undefined : window.lighter;
  if (!found) throw new LighterError('INTERNAL', 'The connection to Lighter’s main process is missing (window.lighter).');
  return found;
}

export async function call<M extends MethodName>(method: M, ...args: undefined extends Input<M> ? [input?: Input<M>] : [input: Input<M>]): Promise<Result<M>> {
  const input = args[0];
  let reply: Reply;
  try {
    reply = await bridge().invoke(method, input);
  } catch (e) {
    throw asLighterError(e);
  }
  if (!reply || typeof reply !== 'object') throw new LighterError('INTERNAL', `No reply for ${method}`);
  if (reply.ok) return reply.value as Result<M>;
  throw LighterError.fromValue(reply.error);
}

/** Subscribes to every event from the main process; returns an unsubscribe function. */
export function onEvent(listener: (name: EventName, payload: Events[EventName]) => void): () => void {
  const found = typeof window === 'undefined' ? undefined : window.lighter;
  if (!found) return () => {};
  return found.on((name, payload) => listener(name, payload as Events[EventName]));
}

/** Any thrown thing as a LighterError, so views only ever deal with one kind of error. */
export function asLighterError(e: unknown): LighterError {
  if (e instanceof LighterError) return e;
  if (isErrorValue(e)) return LighterError.fromValue(e);
  const message = e instanceof Error ? e.message : String(e);
  return new LighterError('INTERNAL', message || 'Unexpected error');
}

function isErrorValue(e: unknown): e is ErrorValue {
  return typeof e === 'object' && e !== null && typeof (e as ErrorValue).code === 'string' && typeof (e as ErrorValue).message === 'string';
}

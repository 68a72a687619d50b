import { isAbortError, LighterError } from '../errors';
import { cleanEngineMessage } from './connect';

const connectionCodes = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EACCES', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * A dockerode failure as a LighterError. `image` names what was asked for, so a 404 reads
 * "No such image: X" rather than the engine's wording.
 */
export function engineError(error: unknown, image?: string): LighterError {
  if (error instanceof LighterError) return error;
  if (isAbortError(error)) return new LighterError('CANCELLED', 'Cancelled');
  const e = error as { statusCode?: number; code?: string; message?: string };
  const message = cleanEngineMessage(e.message ?? String(error));
  if (e.code && connectionCodes.has(e.code)) {
    return new LighterError('ENGINE_UNREACHABLE', `The engine stopped answering: ${message}`, { cause: e.code });
  }
  switch (e.statusCode) {
    case 404:
      return new LighterError('NOT_FOUND', image !== undefined ? `No such image: ${image}` : message, { engine: message });
    case 409:
      return new LighterError('CONFLICT', message);
    case 400:
      return new LighterError('INVALID_INPUT', message);
  }
  return new LighterError('ENGINE_ERROR', message || 'The engine reported an error', { status: e.statusCode });
}

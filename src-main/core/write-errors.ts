import { LighterError, cancelled } from './errors';

/**
 * A failed write (create, write, sync, rename) as an error a person understands: no space, a file
 * too big for the file system, a place that cannot be written. Anything else passes through.
 */
export function writeError(e: unknown, what: string): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new LighterError('NO_SPACE', `No space left while writing ${what}`);
  if (code === 'EFBIG') return new LighterError('NO_SPACE', `${what} is too large for this file system (FAT32 stops at 4 GiB)`);
  if (code === 'EROFS') return new LighterError('INVALID_INPUT', `Cannot write ${what}: the file system is read-only`);
  if (code === 'EACCES' || code === 'EPERM') return new LighterError('INVALID_INPUT', `Cannot write ${what}: permission denied (${code})`);
  if (code === 'ABORT_ERR') return cancelled();
  return e;
}

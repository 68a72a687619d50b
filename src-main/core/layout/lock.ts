import { open, readFile, rm, stat } from 'node:fs/promises';
import { LighterError } from '../errors';

export interface LockOptions {
  /** Give up after this long; 30 s by default. */
  timeoutMs?: number;
  /** A lock file older than this whose owner is gone is taken over. */
  staleMs?: number;
}

/**
 * A lock file created with O_EXCL, so two Lighter processes never rewrite the same index at once.
 * Holds the owner's pid: a lock left by a process that died is recognised and broken.
 */
export async function withFileLock<T>(path: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const staleMs = options.staleMs ?? 60_000;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (await isStale(path, staleMs)) {
        await rm(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new LighterError('CONFLICT', `Another Lighter process holds ${path}; try again when it has finished`);
      await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
    }
  }
  try {
    return await work();
  } finally {
    await rm(path, { force: true });
  }
}

async function isStale(path: string, staleMs: number): Promise<boolean> {
  try {
    const pid = Number((await readFile(path, 'utf8')).trim());
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) return true;
    return Date.now() - (await stat(path)).mtimeMs > staleMs;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

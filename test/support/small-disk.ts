import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  path: string;
  /** Grows or shrinks the file system (what is on it stays). */
  resize(bytes: number): void;
  remove(): void;
}

/**
 * A real, small file system (tmpfs) that fills up for real: writes past its size fail with
 * ENOSPC. Mounting needs root; without it the caller skips (in CI, where tests run as root, that is
 * a failure).
 */
export function smallDisk(bytes: number): SmallDisk | undefined {
  const path = mkdtempSync(join(tmpdir(), 'lighter-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (e) {
    rmSync(path, { recursive: true, force: true });
    const message = `full-disk tests need to mount a small tmpfs (root): ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`;
    if (process.env.CI === 'true') throw new Error(message, { cause: e });
    console.warn(`SKIPPING: ${message}`);
    return undefined;
  }
  return {
    path,
    resize: (size) => execFileSync('mount', ['-o', `remount,size=${size}`, path], { stdio: 'pipe' }),
    remove: () => {
      execFileSync('umount', [path], { stdio: 'pipe' });
      rmSync(path, { recursive: true, force: true });
    },
  };
}

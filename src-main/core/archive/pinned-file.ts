import type { BigIntStats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { LighterError } from '../errors';
import { fileSlabSize, SlabReader } from '../http/read-slabs';

/** Why an archive file could not be opened or read: missing (NOT_FOUND) or otherwise unreadable. */
export function openFailure(e: unknown, path: string): LighterError {
  const { code, message } = e as NodeJS.ErrnoException;
  return new LighterError(code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_INPUT', `Cannot open ${path}: ${code ?? message}`);
}

/** Reads fill what is left of a slab (read-slabs.ts) down to this. */
const minRead = 256 * 1024;

/**
 * A file held open from before it is verified until it has been handed on whole, so its bytes can
 * be sent as they are without hashing them a second time: any write to it (or a rename over its
 * path) changes what fstat/stat report, and that is checked before the last chunk leaves.
 */
export class PinnedFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly pinned: BigIntStats,
  ) {}

  static async open(path: string): Promise<PinnedFile> {
    const handle = await open(path, 'r').catch((e: unknown) => {
      throw openFailure(e, path);
    });
    try {
      return new PinnedFile(path, handle, await handle.stat({ bigint: true }));
    } catch (e) {
      await handle.close();
      throw openFailure(e, path);
    }
  }

  /**
   * The file at `path` again, if it is still the one `earlier` pinned (same file, size and times);
   * otherwise DIGEST_MISMATCH. What was verified through the first pin holds for this one.
   */
  static async reopen(earlier: PinnedFile): Promise<PinnedFile> {
    const again = await PinnedFile.open(earlier.path);
    if (!same(again.pinned, earlier.pinned)) {
      await again.close();
      throw new LighterError('DIGEST_MISMATCH', `${earlier.path} changed while it was being read`);
    }
    return again;
  }

  get size(): number {
    return Number(this.pinned.size);
  }

  /** Fails with DIGEST_MISMATCH when the file (or what its path names) is no longer the one pinned. */
  async checkUnchanged(): Promise<void> {
    const [held, named] = await Promise.all([this.handle.stat({ bigint: true }), stat(this.path, { bigint: true }).catch(() => undefined)]);
    if (!named || !same(held, this.pinned) || named.ino !== held.ino || named.dev !== held.dev) {
      throw new LighterError('DIGEST_MISMATCH', `${this.path} changed while it was being read`);
    }
  }

  /** Up to `length` bytes at `position` (fewer at the end of the file). */
  async readAt(length: number, position: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead);
  }

  /**
   * The whole file in chunks of up to 2 MiB, checked unchanged before the last one; closes the file
   * when done. The chunks are read into reused memory: whoever reads them last gives them back
   * (read-slabs.ts), or leaves them to the garbage collector.
   */
  stream(): Readable {
    return this.range(0, this.size, { closeAtEnd: true });
  }

  /** `length` bytes from `start`, as `stream` reads them (checked before the last chunk); the file stays open. */
  range(start: number, length: number, options: { closeAtEnd?: boolean } = {}): Readable {
    let at = start;
    const end = start + length;
    const slabs = new SlabReader(fileSlabSize);
    const next = async (): Promise<Buffer | null> => {
      const space = slabs.space(minRead);
      const want = Math.min(space.length, end - at);
      if (want <= 0) return null;
      const { bytesRead } = await this.handle.read(space, 0, want, at);
      const chunk = slabs.took(bytesRead);
      if (bytesRead < want) throw new LighterError('DIGEST_MISMATCH', `${this.path} got shorter while it was being read`);
      at += want;
      if (at === end) await this.checkUnchanged();
      return chunk;
    };
    return new Readable({
      highWaterMark: 2 << 20,
      read() {
        next().then(
          (chunk) => this.push(chunk),
          (e: Error) => this.destroy(e),
        );
      },
      destroy: (error, callback) => {
        slabs.close();
        if (options.closeAtEnd) void this.close().then(() => callback(error));
        else callback(error);
      },
    });
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

function same(a: BigIntStats, b: BigIntStats): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino && a.dev === b.dev;
}

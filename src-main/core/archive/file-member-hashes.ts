import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { LighterError, cancelled } from '../errors';
import type { Digest } from '../image/digest';
import { DecompressedHasher, layerLabel } from './content-hasher';
import type { ArchiveLimits } from './limits';
import { hashMemberOffThread, type MemberGrowth } from './member-hash-thread';
import type { ScannedEntry } from './scan-archive';
import { chunksOf } from './stream-chunks';
import { shorten } from './tar-reader';

/** Members at least this big are worth a second read of the file; smaller ones are hashed inline. */
export const fileHashMinBytes = 1 << 20;

/**
 * Big members of an uncompressed tar file, hashed as stored and, when compressed, decompressed
 * (their diffIDs) by reading the file at their offsets, two at a time. The scan then moves on at
 * reading speed while layers are hashed side by side: plain and gzip ones on a helper thread (see
 * member-hash-thread.ts), others on this one with their decoders.
 */
export class FileMemberHashes {
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private readonly jobs: Promise<void>[] = [];
  private readonly stop = new AbortController();

  constructor(
    private readonly path: string,
    private readonly limits: ArchiveLimits,
    private readonly concurrency = 2,
  ) {}

  /**
   * Fills in `entry.digest` and `entry.decompressed` by the time `finish` resolves. With `growth`,
   * the member is still being written: it is read only as far as it has grown.
   */
  add(entry: ScannedEntry, growth?: MemberGrowth): void {
    const job = this.turn().then(async () => {
      try {
        Object.assign(entry, await this.hash(entry, growth));
      } finally {
        this.running--;
        this.queue.shift()?.();
      }
    });
    job.catch(() => this.stop.abort());
    this.jobs.push(job);
  }

  /** Waits for every member; the first failure throws. */
  async finish(): Promise<void> {
    await Promise.all(this.jobs);
  }

  /** Stops what runs and what waits (the scan failed). */
  async abort(): Promise<void> {
    this.stop.abort();
    await Promise.allSettled(this.jobs);
  }

  private async turn(): Promise<void> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.queue.push(resolve));
    if (this.stop.signal.aborted) {
      this.queue.shift()?.();
      throw cancelled();
    }
    this.running++;
  }

  private async hash(entry: ScannedEntry, growth?: MemberGrowth): Promise<Pick<ScannedEntry, 'digest' | 'decompressed'>> {
    if (entry.compression === 'none' || entry.compression === 'gzip') {
      const member = { path: this.path, offset: entry.dataOffset, size: entry.size, gzip: entry.compression === 'gzip', growth };
      const hashes = await hashMemberOffThread(member, this.limits, layerLabel(entry.path), this.stop.signal);
      if (hashes.size !== entry.size) throw shorter(this.path, entry);
      return { digest: hashes.digest, decompressed: hashes.decompressed };
    }
    // Other compressions are decoded here, from the whole member.
    if (growth) await Promise.race([growth.reached(entry.size), aborted(this.stop.signal)]);
    const stored = createHash('sha256');
    const decompressed = new DecompressedHasher(entry.compression, this.limits, layerLabel(entry.path));
    let size = 0;
    try {
      const file = createReadStream(this.path, { start: entry.dataOffset, end: entry.dataOffset + entry.size - 1, highWaterMark: 1 << 20, signal: this.stop.signal });
      for await (const chunk of chunksOf(file)) {
        stored.update(chunk);
        size += chunk.length;
        await decompressed.write(chunk);
      }
    } catch (e) {
      decompressed.abort();
      throw e;
    }
    if (size !== entry.size) throw shorter(this.path, entry);
    return { digest: `sha256:${stored.digest('hex')}` as Digest, decompressed: await decompressed.finish() };
  }
}

/** Fails with CANCELLED once `signal` fires (this instance's own signal: the listener goes with it). */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(cancelled());
    else signal.addEventListener('abort', () => reject(cancelled()), { once: true });
  });
}

function shorter(path: string, entry: ScannedEntry): LighterError {
  return new LighterError('ARCHIVE_INVALID', `${path} changed while it was read: member ${shorten(entry.path)} is shorter`);
}

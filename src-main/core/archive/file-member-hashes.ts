import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { LighterError, cancelled } from '../errors';
import type { Digest } from '../image/digest';
import { detectCompression, MAGIC_LENGTH, type Compression } from './compression';
import { DecompressedHasher, layerLabel } from './content-hasher';
import type { ArchiveLimits } from './limits';
import { hashMemberOffThread, MemberGrowth } from './member-hash-thread';
import type { TarFileSpan } from './peek-metadata';
import type { ScannedEntry } from './scan-archive';
import { chunksOf } from './stream-chunks';
import { shorten } from './tar-reader';

type Member = Pick<ScannedEntry, 'path' | 'size' | 'dataOffset' | 'compression'>;
type Hashed = Required<Pick<ScannedEntry, 'compression' | 'digest'>> & Pick<ScannedEntry, 'decompressed'>;

/** Members at least this big are worth a second read of the file; smaller ones are hashed inline. */
export const fileHashMinBytes = 1 << 20;

/**
 * Big members of an uncompressed tar file, hashed as stored and, when compressed, decompressed
 * (their diffIDs; unless told not to) by reading the file at their offsets, two at a time. The scan
 * then moves on at reading speed while layers are hashed side by side: plain and gzip ones on a
 * helper thread (see member-hash-thread.ts), others on this one with their decoders. In a complete
 * file whose layout is known, they can be hashed ahead of the scan (hashAhead).
 */
export class FileMemberHashes {
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private readonly jobs: Promise<void>[] = [];
  private readonly stop = new AbortController();
  /** Members hashed ahead of the scan, by where they lie, until the scan reaches them. */
  private readonly ahead = new Map<string, Promise<Hashed>>();
  /** How far the scan has come: the offset of the last member handed over. */
  private readonly scan = new MemberGrowth();

  private readonly concurrency: number;
  private readonly aheadBytes: number;
  private readonly decompress: boolean;

  constructor(
    private readonly path: string,
    private readonly limits: ArchiveLimits,
    options: {
      /** Members hashed at once (2). */
      concurrency?: number;
      /** How far ahead of the scan members are hashed: what the helpers read is still cached when the scan reads it. */
      aheadBytes?: number;
      /** Compressed members hashed decompressed too, for their diffIDs (true); otherwise as stored only. */
      decompress?: boolean;
    } = {},
  ) {
    this.concurrency = options.concurrency ?? 2;
    this.aheadBytes = options.aheadBytes ?? 512 * 1024 * 1024;
    this.decompress = options.decompress ?? true;
  }

  /**
   * Fills in `entry.digest` and `entry.decompressed` by the time `finish` resolves. With `growth`,
   * the member is still being written: it is read only as far as it has grown.
   */
  add(entry: ScannedEntry, growth?: MemberGrowth): void {
    this.scan.grow(entry.dataOffset);
    const key = spanKey(entry);
    const early = growth ? undefined : this.ahead.get(key);
    this.ahead.delete(key);
    const job = (early ?? this.inTurn(() => this.hash(entry, growth))).then((hashed) => {
      if (hashed.compression !== entry.compression) throw changed(this.path, entry);
      entry.digest = hashed.digest;
      entry.decompressed = hashed.decompressed;
    });
    job.catch(() => this.stop.abort());
    this.jobs.push(job);
  }

  /**
   * Starts hashing members of a complete file before the scan reaches them (their places known from
   * its headers), up to `aheadBytes` ahead of it: the helpers then work ahead instead of behind the
   * scan, which has nothing left to wait for at its end. A member the scan finds elsewhere, or
   * never, is hashed for nothing.
   */
  hashAhead(files: TarFileSpan[]): void {
    for (const file of files) {
      const member = { path: file.path, size: file.size, dataOffset: file.dataOffset, compression: 'none' as Compression };
      const hashed = this.scan.reached(file.dataOffset - this.aheadBytes).then(() =>
        this.inTurn(async () => {
          member.compression = await this.compressionAt(file.dataOffset);
          return this.hash(member);
        }),
      );
      hashed.catch(() => undefined); // reported when the scan reaches the member
      this.ahead.set(spanKey(file), hashed);
    }
  }

  /** Waits for every member; the first failure throws. */
  async finish(): Promise<void> {
    await Promise.all(this.jobs);
    await this.abort(); // members hashed ahead that the scan never reached
  }

  /** Stops what runs and what waits (the scan failed). */
  async abort(): Promise<void> {
    this.stop.abort();
    this.scan.grow(Infinity); // what waits for the scan goes on to find the stop
    await Promise.allSettled([...this.jobs, ...this.ahead.values()]);
  }

  private async inTurn(work: () => Promise<Hashed>): Promise<Hashed> {
    await this.turn();
    try {
      return await work();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }

  private async compressionAt(offset: number): Promise<Compression> {
    const file = await open(this.path, 'r');
    try {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(MAGIC_LENGTH), 0, MAGIC_LENGTH, offset);
      return detectCompression(buffer.subarray(0, bytesRead));
    } finally {
      await file.close();
    }
  }

  private async turn(): Promise<void> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.queue.push(resolve));
    if (this.stop.signal.aborted) {
      this.queue.shift()?.();
      throw cancelled();
    }
    this.running++;
  }

  private async hash(entry: Member, growth?: MemberGrowth): Promise<Hashed> {
    const { compression } = entry;
    if (compression === 'none' || compression === 'gzip' || !this.decompress) {
      const member = { path: this.path, offset: entry.dataOffset, size: entry.size, gzip: this.decompress && compression === 'gzip', growth };
      const hashes = await hashMemberOffThread(member, this.limits, layerLabel(entry.path), this.stop.signal);
      if (hashes.size !== entry.size) throw shorter(this.path, entry);
      return { compression, digest: hashes.digest, decompressed: hashes.decompressed };
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
    return { compression, digest: `sha256:${stored.digest('hex')}` as Digest, decompressed: await decompressed.finish() };
  }
}

/** Fails with CANCELLED once `signal` fires (this instance's own signal: the listener goes with it). */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(cancelled());
    else signal.addEventListener('abort', () => reject(cancelled()), { once: true });
  });
}

function shorter(path: string, entry: Member): LighterError {
  return new LighterError('ARCHIVE_INVALID', `${path} changed while it was read: member ${shorten(entry.path)} is shorter`);
}

function changed(path: string, entry: Member): LighterError {
  return new LighterError('ARCHIVE_INVALID', `${path} changed while it was read: member ${shorten(entry.path)} differs`);
}

function spanKey(member: { dataOffset: number; size: number }): string {
  return `${member.dataOffset}:${member.size}`;
}

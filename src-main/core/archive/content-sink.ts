import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline as pipeCallback, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { LighterError, cancelled } from '../errors';
import { writeError } from '../write-errors';
import { createZstdCompressor } from './compression';
import { checkedAsItPasses, type ExpectedContent, WrittenRangeCheck } from './content-check';
import { fileHashMinBytes } from './file-member-hashes';
import { PartialFile } from './partial-file';
import { padding } from './tar-header';
import { tarEnd, tarEntry, tarHeader } from './tar-writer';

/** Reserved files are written in batches of this size (fewer, larger positional writes). */
const fillBatchBytes = 2 << 20;

export type OutputCompression = 'none' | 'gzip' | 'zstd';

/** Where an image writer puts files: a tar file or a directory, both committed atomically. */
export interface ContentSink {
  /** Bytes written so far (before outer compression). */
  readonly bytesWritten: number;
  directory(path: string): Promise<void>;
  /**
   * Writes a file; with `expected`, it fails rather than keep bytes that do not hash to it.
   * `handOver`: nobody reads the body's chunks after the sink, which may give them back once written
   * (http/read-slabs.ts).
   */
  file(path: string, size: number, body: Buffer | AsyncIterable<Buffer>, expected?: ExpectedContent, handOver?: boolean): Promise<void>;
  /**
   * Optional: sets places aside for files to come, in this order; true when it did, and `file` may
   * then be called for several of them at once.
   */
  reserve?(files: { path: string; size: number }[]): boolean;
  /** Flushes, fsyncs and moves the result to its final name. */
  commit(): Promise<void>;
  /** Removes everything written; never throws. */
  abort(): Promise<void>;
}

export function temporaryName(finalPath: string): string {
  return `${finalPath}.partial-${randomBytes(6).toString('hex')}`;
}

async function fsyncPath(path: string, flags = 'r'): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncDirectory(path: string): Promise<void> {
  // Makes the rename durable; not every platform can open a directory, which is fine.
  await fsyncPath(path).catch(() => {});
}

interface Reservation {
  at: number;
  header: Buffer;
  size: number;
}

/**
 * A tar file written to `<final>.partial-<random>` (flushed to disk behind the writer), optionally
 * compressed, fsynced and renamed on commit. Uncompressed, it can set places aside for files whose
 * sizes are known up front, so their bodies can then be written at once, in any order.
 */
export class TarFileSink implements ContentSink {
  bytesWritten = 0;
  private readonly reserved = new Map<string, Reservation>();
  private failure: unknown;
  private readonly compressed?: Promise<void>;

  private constructor(
    private readonly out: PartialFile,
    private readonly compressor: Duplex | undefined,
    private readonly signal?: AbortSignal,
  ) {
    if (compressor) {
      this.compressed = pipeline(compressor, async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) await out.write(chunk);
      }).catch((e) => {
        this.failure ??= writeError(e, out.finalPath);
      });
    }
  }

  get tempPath(): string {
    return this.out.tempPath;
  }

  static async create(finalPath: string, options: { compression?: OutputCompression; signal?: AbortSignal } = {}): Promise<TarFileSink> {
    const compression = options.compression ?? 'none';
    const out = await PartialFile.create(finalPath);
    const compressor = compression === 'gzip' ? zlib.createGzip({ level: 6 }) : compression === 'zstd' ? createZstdCompressor() : undefined;
    return new TarFileSink(out, compressor, options.signal);
  }

  async directory(path: string): Promise<void> {
    for await (const chunk of tarEntry({ path, type: 'directory' })) await this.write(chunk);
  }

  /**
   * Sets places aside for these files, in this order, right after what was written so far: `file`
   * may then be called for several of them at once. False when compressed (bytes must flow in order).
   */
  reserve(files: { path: string; size: number }[]): boolean {
    if (this.compressor) return false;
    for (const { path, size } of files) {
      if (this.reserved.has(path)) throw new LighterError('INTERNAL', `${path} is reserved twice`);
      const header = tarHeader({ path, size });
      const at = this.out.reserve(header.length + size + padding(size).length);
      this.reserved.set(path, { at, header, size });
    }
    return true;
  }

  async file(path: string, size: number, body: Buffer | AsyncIterable<Buffer>, expected?: ExpectedContent, handOver = false): Promise<void> {
    const place = this.reserved.get(path);
    if (place) return this.fill(path, place, size, body, expected, handOver);
    const checked = expected ? checkedAsItPasses(body, expected) : body;
    for await (const chunk of tarEntry({ path, size }, checked)) await this.write(chunk);
  }

  /**
   * Writes a reserved file: header, body and padding in large positional writes. A big one with
   * `expected` is checked from the file on a helper thread, behind the writes; others as they pass.
   */
  private async fill(path: string, place: Reservation, size: number, body: Buffer | AsyncIterable<Buffer>, expected: ExpectedContent | undefined, handOver: boolean): Promise<void> {
    if (size !== place.size) throw new LighterError('INTERNAL', `${path}: reserved ${place.size} bytes, given ${size}`);
    this.reserved.delete(path);
    const bodyAt = place.at + place.header.length;
    const behind = expected && size >= fileHashMinBytes ? new WrittenRangeCheck(this.out.tempPath, bodyAt, size, expected) : undefined;
    const bytes = Buffer.isBuffer(body) ? [body] : body;
    let at = place.at;
    let batch: Buffer[] = [place.header];
    let batched = place.header.length;
    let got = 0;
    try {
      for await (const chunk of expected && !behind ? checkedAsItPasses(bytes, expected) : bytes) {
        this.check();
        got += chunk.length;
        if (got > size) break;
        this.bytesWritten += chunk.length;
        batch.push(chunk);
        batched += chunk.length;
        if (batched >= fillBatchBytes) {
          await this.out.writeAt(batch, at, behind?.landing(at + batched - bodyAt), handOver);
          at += batched;
          batch = [];
          batched = 0;
        }
      }
      if (got !== size) throw new LighterError('INVALID_INPUT', `Tar entry "${path}": expected ${size} bytes of data, got ${got > size ? 'more' : got}`);
      batch.push(padding(size));
      await this.out.writeAt(batch, at, behind?.landing(size), handOver);
      await behind?.result();
    } finally {
      behind?.stop();
    }
  }

  private check(): void {
    if (this.signal?.aborted) throw cancelled();
    if (this.failure !== undefined) throw this.failure;
  }

  private async write(chunk: Buffer): Promise<void> {
    this.check();
    this.bytesWritten += chunk.length;
    if (!this.compressor) return this.out.write(chunk);
    if (this.compressor.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const settle = () => {
        this.compressor!.off('drain', settle);
        this.compressor!.off('close', settle);
        this.compressor!.off('error', settle);
        resolve();
      };
      this.compressor!.on('drain', settle).on('close', settle).on('error', settle);
    });
    this.check();
  }

  async commit(): Promise<void> {
    if (this.reserved.size > 0) throw new LighterError('INTERNAL', `${[...this.reserved.keys()][0]} was reserved but never written`);
    await this.write(tarEnd());
    if (this.compressor) {
      this.compressor.end();
      await this.compressed;
      this.check();
    }
    await this.out.commit();
  }

  async abort(): Promise<void> {
    this.failure ??= cancelled();
    this.compressor?.destroy();
    await this.compressed;
    await this.out.abort();
  }
}

/** A directory tree written under `<final>.partial-<random>/`, renamed on commit. */
export class DirectorySink implements ContentSink {
  bytesWritten = 0;
  private readonly files: string[] = [];

  private constructor(
    private readonly finalPath: string,
    readonly tempPath: string,
    private readonly signal?: AbortSignal,
  ) {}

  static async create(finalPath: string, options: { signal?: AbortSignal } = {}): Promise<DirectorySink> {
    const tempPath = temporaryName(finalPath);
    await mkdir(tempPath, { recursive: false }).catch((e) => {
      throw writeError(e, finalPath);
    });
    return new DirectorySink(finalPath, tempPath, options.signal);
  }

  async directory(path: string): Promise<void> {
    await mkdir(join(this.tempPath, path), { recursive: true });
  }

  async file(path: string, size: number, body: Buffer | AsyncIterable<Buffer>, expected?: ExpectedContent): Promise<void> {
    const target = join(this.tempPath, path);
    const out = createWriteStream(target, { flags: 'wx' });
    let written = 0;
    const signal = this.signal;
    const counted = async function* (this: DirectorySink) {
      const bytes = Buffer.isBuffer(body) ? [body] : body;
      for await (const chunk of expected ? checkedAsItPasses(bytes, expected) : bytes) {
        if (signal?.aborted) throw cancelled();
        written += chunk.length;
        this.bytesWritten += chunk.length;
        yield chunk;
      }
    }.call(this);
    await new Promise<void>((resolve, reject) => pipeCallback(counted, out, (e) => (e ? reject(writeError(e, this.finalPath)) : resolve())));
    if (written !== size) throw new LighterError('INVALID_INPUT', `${path}: expected ${size} bytes, got ${written}`);
    this.files.push(target);
  }

  async commit(): Promise<void> {
    try {
      for (const file of this.files) await fsyncPath(file);
      await rename(this.tempPath, this.finalPath);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new LighterError('CONFLICT', `${this.finalPath} already exists`);
      throw writeError(e, this.finalPath);
    }
    await fsyncDirectory(dirname(this.finalPath));
  }

  async abort(): Promise<void> {
    await rm(this.tempPath, { recursive: true, force: true }).catch(() => {});
  }
}

import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline, type Duplex, type Writable } from 'node:stream';
import * as zlib from 'node:zlib';
import { LighterError, cancelled } from '../errors';
import { createZstdCompressor } from './compression';
import { tarEnd, tarEntry } from './tar-writer';

export type OutputCompression = 'none' | 'gzip' | 'zstd';

/** Where an image writer puts files: a tar file or a directory, both committed atomically. */
export interface ContentSink {
  /** Bytes written so far (before outer compression). */
  readonly bytesWritten: number;
  directory(path: string): Promise<void>;
  file(path: string, size: number, body: Buffer | AsyncIterable<Buffer>): Promise<void>;
  /** Flushes, fsyncs and moves the result to its final name. */
  commit(): Promise<void>;
  /** Removes everything written; never throws. */
  abort(): Promise<void>;
}

export function temporaryName(finalPath: string): string {
  return `${finalPath}.partial-${randomBytes(6).toString('hex')}`;
}

export function ioError(e: unknown, what: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new LighterError('NO_SPACE', `No space left while writing ${what}`);
  if (code === 'EFBIG') return new LighterError('NO_SPACE', `${what} is too large for this file system (FAT32 stops at 4 GiB)`);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new LighterError('INVALID_INPUT', `Cannot write ${what}: ${code}`);
  if (code === 'ABORT_ERR') return cancelled();
  return e;
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

/** A tar file written to `<final>.partial-<random>`, optionally compressed, renamed on commit. */
export class TarFileSink implements ContentSink {
  bytesWritten = 0;
  private failure: unknown;
  private readonly done: Promise<void>;

  private constructor(
    private readonly finalPath: string,
    readonly tempPath: string,
    private readonly head: Writable,
    file: WriteStream,
    compressor: Duplex | undefined,
    private readonly signal?: AbortSignal,
  ) {
    this.done = new Promise((resolve) => {
      const finish = (e?: unknown) => {
        if (e && this.failure === undefined) this.failure = ioError(e, finalPath);
        resolve();
      };
      if (compressor) pipeline(compressor, file, (e) => finish(e ?? undefined));
      else file.on('error', finish).on('close', () => finish());
    });
  }

  static async create(finalPath: string, options: { compression?: OutputCompression; signal?: AbortSignal } = {}): Promise<TarFileSink> {
    const compression = options.compression ?? 'none';
    const compressor = compression === 'gzip' ? zlib.createGzip({ level: 6 }) : compression === 'zstd' ? createZstdCompressor() : undefined;
    const tempPath = temporaryName(finalPath);
    const file = createWriteStream(tempPath, { flags: 'wx' });
    await new Promise<void>((resolve, reject) => file.once('open', () => resolve()).once('error', (e) => reject(ioError(e, finalPath))));
    return new TarFileSink(finalPath, tempPath, compressor ?? file, file, compressor, options.signal);
  }

  async directory(path: string): Promise<void> {
    for await (const chunk of tarEntry({ path, type: 'directory' })) await this.write(chunk);
  }

  async file(path: string, size: number, body: Buffer | AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of tarEntry({ path, size }, body)) await this.write(chunk);
  }

  private async write(chunk: Buffer): Promise<void> {
    if (this.signal?.aborted) throw cancelled();
    if (this.failure !== undefined) throw this.failure;
    this.bytesWritten += chunk.length;
    if (this.head.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const settle = () => {
        this.head.off('drain', settle);
        this.head.off('close', settle);
        this.head.off('error', settle);
        resolve();
      };
      this.head.on('drain', settle).on('close', settle).on('error', settle);
    });
    if (this.failure !== undefined) throw this.failure;
  }

  async commit(): Promise<void> {
    await this.write(tarEnd());
    this.head.end();
    await this.done;
    if (this.failure !== undefined) throw this.failure;
    try {
      await fsyncPath(this.tempPath, 'r+');
      await rename(this.tempPath, this.finalPath);
    } catch (e) {
      throw ioError(e, this.finalPath);
    }
    await fsyncDirectory(dirname(this.finalPath));
  }

  async abort(): Promise<void> {
    this.head.destroy();
    await this.done.catch(() => {});
    await rm(this.tempPath, { force: true }).catch(() => {});
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
      throw ioError(e, finalPath);
    });
    return new DirectorySink(finalPath, tempPath, options.signal);
  }

  async directory(path: string): Promise<void> {
    await mkdir(join(this.tempPath, path), { recursive: true });
  }

  async file(path: string, size: number, body: Buffer | AsyncIterable<Buffer>): Promise<void> {
    const target = join(this.tempPath, path);
    const out = createWriteStream(target, { flags: 'wx' });
    let written = 0;
    const signal = this.signal;
    const counted = async function* (this: DirectorySink) {
      const source = Buffer.isBuffer(body) ? [body] : body;
      for await (const chunk of source) {
        if (signal?.aborted) throw cancelled();
        written += chunk.length;
        this.bytesWritten += chunk.length;
        yield chunk;
      }
    }.call(this);
    await new Promise<void>((resolve, reject) => pipeline(counted, out, (e) => (e ? reject(ioError(e, this.finalPath)) : resolve())));
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
      throw ioError(e, this.finalPath);
    }
    await fsyncDirectory(dirname(this.finalPath));
  }

  async abort(): Promise<void> {
    await rm(this.tempPath, { recursive: true, force: true }).catch(() => {});
  }
}

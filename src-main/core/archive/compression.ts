import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { PassThrough, Transform, pipeline, type Duplex, type Readable, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { LighterError } from '../errors';
import { createBzip2Decoder, createXzDecoder, createZstdDecoder } from './decoders';
import { formatBytes, resolveLimits, type ArchiveLimits } from './limits';
import { openFailure, PinnedFile } from './pinned-file';

export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2';

/** Magic numbers, as `docker load` checks them. */
const magics: [Compression, number[]][] = [
  ['gzip', [0x1f, 0x8b, 0x08]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['bzip2', [0x42, 0x5a, 0x68]],
];

export const MAGIC_LENGTH = 6;

export function detectCompression(head: Uint8Array): Compression {
  for (const [kind, magic] of magics) {
    if (head.length >= magic.length && magic.every((byte, i) => head[i] === byte)) return kind;
  }
  return 'none';
}

type ZstdFactory = () => Duplex;
const zstdCompressFactory = (zlib as unknown as { createZstdCompress?: ZstdFactory }).createZstdCompress;

/** Whether this Node can WRITE zstd (reading works everywhere, see decoders.ts). */
export function zstdSupported(): boolean {
  return typeof zstdCompressFactory === 'function';
}

/** A zstd compressor when this Node has one (22.15+ / 23.8+). */
export function createZstdCompressor(): Duplex {
  if (!zstdCompressFactory) {
    throw new LighterError(
      'UNSUPPORTED',
      `Cannot write zstd: it needs Node 22.15 or newer and this is Node ${process.versions.node}; the Lighter app itself writes zstd, or choose gzip`,
    );
  }
  return zstdCompressFactory();
}

/** An in-process decompressor; never a program from PATH. `what` names the data in errors. */
export function createDecompressor(kind: Compression, what = 'archive'): Duplex {
  switch (kind) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      // 1 MiB output chunks instead of zlib's 16 KiB: verifying gzip layers runs about 2.5× faster.
      return zlib.createGunzip({ chunkSize: 1 << 20 });
    case 'zstd':
      return createZstdDecoder(what);
    case 'xz':
      return createXzDecoder(what);
    case 'bzip2':
      return createBzip2Decoder(what);
  }
}

export type DecompressionLimits = Pick<ArchiveLimits, 'maxDecompressedBytes' | 'maxCompressionRatio' | 'ratioGraceBytes'>;

/**
 * Passes decompressed bytes through and fails with ARCHIVE_INVALID once the output passes the
 * absolute cap, or the ratio to the compressed bytes read so far passes the ratio cap.
 */
export class DecompressionGuard extends Transform {
  bytes = 0;

  constructor(
    private readonly compressedBytes: () => number,
    private readonly limits: DecompressionLimits,
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    const problem = decompressionProblem(this.bytes, this.compressedBytes(), this.limits, this.what);
    if (problem) callback(problem);
    else callback(null, chunk);
  }
}

/** Why `decompressed` bytes out of `compressed` in are refused as a likely bomb; undefined while within the caps. */
export function decompressionProblem(decompressed: number, compressed: number, limits: DecompressionLimits, what: string): LighterError | undefined {
  const { maxDecompressedBytes, maxCompressionRatio, ratioGraceBytes } = limits;
  if (decompressed > maxDecompressedBytes) {
    return new LighterError('ARCHIVE_INVALID', `${what} decompresses to more than ${formatBytes(maxDecompressedBytes)}; refusing a likely decompression bomb`);
  }
  const input = Math.max(1, compressed);
  if (decompressed > ratioGraceBytes && decompressed / input > maxCompressionRatio) {
    return new LighterError(
      'ARCHIVE_INVALID',
      `${what} expands more than ${maxCompressionRatio}:1 (${formatBytes(input)} → ${formatBytes(decompressed)}); refusing a likely decompression bomb`,
    );
  }
  return undefined;
}

/** Counts bytes flowing through (the compressed side of a guard). */
export class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

export interface ArchiveStream {
  /** The decompressed tar bytes. */
  stream: Readable;
  compression: Compression;
  fileSize: number;
  /** Bytes of the file read so far (for progress). */
  bytesRead(): number;
}

export interface OpenArchiveOptions {
  signal?: AbortSignal;
  limits?: Partial<ArchiveLimits>;
}

export async function readHead(path: string, length = MAGIC_LENGTH): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(length);
    const { bytesRead } = await handle.read(head, 0, length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Opens an archive file and undoes its outer compression, detected by magic bytes. */
export async function openArchiveStream(path: string, options: OpenArchiveOptions = {}): Promise<ArchiveStream> {
  const limits = resolveLimits(options.limits);
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw openFailure(e, path);
  });
  if (!info.isFile()) throw new LighterError('INVALID_INPUT', `${path} is not a regular file`);
  const compression = detectCompression(await readHead(path));
  const counter = new ByteCounter();
  if (compression === 'none') {
    // Into reused memory: the reader gives back what it skips (a tar reader, the members hashed elsewhere).
    const file = (await PinnedFile.open(path)).stream();
    return { stream: pipeline(file, counter, () => {}), compression, fileSize: info.size, bytesRead: () => counter.bytes };
  }
  const decompressor = createDecompressor(compression);
  const file = createReadStream(path, { highWaterMark: 1 << 20, signal: options.signal });
  const guard = new DecompressionGuard(() => counter.bytes, limits, `The ${compression} archive`);
  const stream = pipeline(file, counter, decompressor, guard, () => {});
  return { stream, compression, fileSize: info.size, bytesRead: () => counter.bytes };
}

/** Maps zlib's terse errors (gzip, native zstd) to one line that names the file. */
export function describeStreamError(e: unknown, what: string): unknown {
  const code = (e as { code?: string }).code;
  if (typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ZSTD_'))) {
    return new LighterError('ARCHIVE_INVALID', `${what} is not valid compressed data (${(e as Error).message})`);
  }
  if (code === 'ERR_STREAM_PREMATURE_CLOSE') return new LighterError('ARCHIVE_INVALID', `${what} ended unexpectedly`);
  return e;
}

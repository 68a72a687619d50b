import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import * as zlib from 'node:zlib';
import type { Decompress as ZstdDecompress } from 'fzstd';
import type unbzip2Stream from 'unbzip2-stream';
import { LighterError } from '../errors';
import { formatBytes } from './limits';
import { SyncDecoderStream } from './sync-decoder';
import { XzDecoderStream, describeXzFailure } from './xz-decoder';

// In-process decoders for the compressions `docker load` accepts besides gzip. All pure JS or WASM:
// a decompressor found on PATH never sees untrusted input. Each loads on first use: most archives
// need none of them, and loading all three took ≈20 ms of every start.
const load = createRequire(import.meta.url);

type ZstdFactory = () => Duplex;
const nativeZstd = (zlib as unknown as { createZstdDecompress?: ZstdFactory }).createZstdDecompress;

/** Largest zstd window accepted, as libzstd's default (windowLogMax 27). */
export const maxZstdWindow = 128 * 1024 * 1024;

function corrupt(kind: string, what: string, detail: string): LighterError {
  return new LighterError('ARCHIVE_INVALID', `Corrupt ${kind} data in ${what}: ${detail}`);
}

/** zstd: Node's own decoder where it has one (22.15+, and Electron), otherwise fzstd. */
export function createZstdDecoder(what: string, options: { forcePortable?: boolean } = {}): Duplex {
  if (nativeZstd && !options.forcePortable) return nativeZstd();
  return new PortableZstdDecoder(what);
}

export function createXzDecoder(what: string): Duplex {
  return new XzDecoderStream((e) => corrupt('xz', what, describeXzFailure(e)));
}

export function createBzip2Decoder(what: string): Duplex {
  return new Bzip2Decoder(what);
}

/**
 * fzstd decodes every block it has input for in one call, and an RLE block can stand for megabytes:
 * small slices plus a cap on the output of one slice keep a hostile frame from exhausting memory.
 * Legitimate data stays far below the cap (at most 128 KiB per 3-byte block, so 1 KiB → ~43 MiB).
 */
const zstdSlice = 1024;
const zstdBurstLimit = 64 * 1024 * 1024;

class PortableZstdDecoder extends SyncDecoderStream {
  private readonly decoder: ZstdDecompress;
  private sink: (output: Uint8Array) => void = () => {};
  private burst = 0;

  constructor(private readonly what: string) {
    super(zstdSlice);
    const { Decompress } = load('fzstd') as { Decompress: typeof ZstdDecompress };
    this.decoder = new Decompress((output) => {
      this.checkWindow();
      this.burst += output.length;
      if (this.burst > zstdBurstLimit) {
        throw new LighterError('ARCHIVE_INVALID', `zstd data in ${this.what} expands more than ${formatBytes(zstdBurstLimit)} from ${formatBytes(zstdSlice)}; refusing a likely decompression bomb`);
      }
      if (output.length > 0) this.sink(output);
    });
  }

  /** fzstd accepts windows up to 2 GiB; refuse what libzstd refuses by default, before the window is filled. */
  private checkWindow(): void {
    const frame = (this.decoder as unknown as { s?: { e?: number } }).s;
    if (typeof frame === 'object' && typeof frame.e === 'number' && frame.e > maxZstdWindow) {
      throw new LighterError(
        'ARCHIVE_INVALID',
        `zstd data in ${this.what} needs a ${formatBytes(frame.e)} window; windows over ${formatBytes(maxZstdWindow)} are refused`,
      );
    }
  }

  protected decode(input: Uint8Array | undefined, emit: (output: Uint8Array) => void): void {
    this.sink = emit;
    this.burst = 0;
    if (input) this.decoder.push(input);
    else this.decoder.push(new Uint8Array(0), true);
  }

  protected describe(error: unknown, atEnd: boolean): Error {
    if (error instanceof LighterError) return error;
    const message = (error as Error)?.message ?? String(error);
    if (message === 'unexpected EOF' || (atEnd && error instanceof RangeError)) return corrupt('zstd', this.what, 'it ends early');
    return corrupt('zstd', this.what, message);
  }
}

type ThroughStream = NodeJS.ReadWriteStream & { write(chunk: Uint8Array): boolean; end(): void };

/** unbzip2-stream is a synchronous "through" stream; it decodes a block once all of it has arrived. */
class Bzip2Decoder extends SyncDecoderStream {
  private readonly decoder: ThroughStream;
  private sink: (output: Uint8Array) => void = () => {};
  private failure: unknown;

  constructor(private readonly what: string) {
    super(1 << 20);
    this.decoder = (load('unbzip2-stream') as typeof unbzip2Stream)() as ThroughStream;
    this.decoder.on('data', (output: Uint8Array) => this.sink(output));
    this.decoder.on('error', (e: unknown) => (this.failure ??= e));
  }

  protected decode(input: Uint8Array | undefined, emit: (output: Uint8Array) => void): void {
    this.sink = emit;
    if (input) this.decoder.write(input);
    else this.decoder.end();
    if (this.failure !== undefined) throw this.failure;
  }

  protected describe(error: unknown, atEnd: boolean): Error {
    const message = (error as Error)?.message ?? String(error);
    if (atEnd && (error instanceof TypeError || /ended prematurely/.test(message))) return corrupt('bzip2', this.what, 'it ends early');
    if (/No magic number|Not a BZIP|not valid bzip/.test(message)) return corrupt('bzip2', this.what, 'no bzip2 stream starts where one should (not bzip2, or trailing garbage)');
    if (/crc32/.test(message)) return corrupt('bzip2', this.what, 'a block checksum does not match');
    return corrupt('bzip2', this.what, 'a block is damaged');
  }
}

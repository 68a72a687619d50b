import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import * as zlib from 'node:zlib';
import type { Decompress as ZstdDecompress } from 'fzstd';
import { LighterError } from '../errors';
import { Bzip2DataError, Bzip2Decoder } from './bzip2';
import { formatBytes } from './limits';
import { SyncDecoderStream } from './sync-decoder';
import { XzDecoderStream, describeXzFailure } from './xz-decoder';

// In-process decoders for the compressions `docker load` accepts besides gzip. All pure JS or WASM:
// a decompressor found on PATH never sees untrusted input. The zstd and xz libraries load on first
// use: most archives need neither, and loading them took ≈20 ms of every start.
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
  return new Bzip2DecoderStream(what);
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

  protected decode(input: Uint8Array | undefined): Uint8Array[] {
    const outputs: Uint8Array[] = [];
    this.sink = (output) => outputs.push(output);
    this.burst = 0;
    if (input) this.decoder.push(input);
    else this.decoder.push(new Uint8Array(0), true);
    return outputs;
  }

  protected describe(error: unknown, atEnd: boolean): Error {
    if (error instanceof LighterError) return error;
    const message = (error as Error)?.message ?? String(error);
    if (message === 'unexpected EOF' || (atEnd && error instanceof RangeError)) return corrupt('zstd', this.what, 'it ends early');
    return corrupt('zstd', this.what, message);
  }
}

/** bzip2 (bzip2.ts): output is made only as the reader takes it, a piece at a time. */
class Bzip2DecoderStream extends SyncDecoderStream {
  private readonly decoder = new Bzip2Decoder();

  constructor(private readonly what: string) {
    super(1 << 20);
  }

  protected decode(input: Uint8Array | undefined): Iterable<Uint8Array> {
    if (input) this.decoder.push(input);
    else this.decoder.end();
    return this.decoder.pieces();
  }

  protected describe(error: unknown): Error {
    if (error instanceof Bzip2DataError) return corrupt('bzip2', this.what, error.message);
    return new LighterError('INTERNAL', `The bzip2 decoder failed on ${this.what}: ${(error as Error)?.message ?? String(error)}`);
  }
}

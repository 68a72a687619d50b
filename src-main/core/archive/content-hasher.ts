import { createHash } from 'node:crypto';
import { Writable, pipeline, type Duplex } from 'node:stream';
import type { Digest } from '../image/digest';
import { LighterError } from '../errors';
import { createDecompressor, DecompressionGuard, describeStreamError, type Compression } from './compression';
import type { ArchiveLimits } from './limits';
import { shorten } from './tar-reader';

/** How a layer member is named in errors about its decompressed content. */
export function layerLabel(path: string): string {
  return `Layer ${shorten(path, 80)}`;
}

export type HashOutcome = { digest: Digest; size: number } | { error: unknown };

/**
 * Hashes the decompressed form of data fed to it chunk by chunk (for diffIDs), under the bomb
 * caps. Failures are recorded, not thrown: the caller only learns later whether the data mattered.
 */
export class DecompressedHasher {
  private readonly hash = createHash('sha256');
  private readonly decompressor?: Duplex;
  private compressedBytes = 0;
  private size = 0;
  private error: unknown;
  private readonly done: Promise<void>;

  constructor(kind: Compression, limits: ArchiveLimits, what: string) {
    let decompressor: Duplex | undefined;
    try {
      decompressor = createDecompressor(kind, 'layer');
    } catch (e) {
      this.error = e;
      this.done = Promise.resolve();
      return;
    }
    this.decompressor = decompressor;
    const guard = new DecompressionGuard(() => this.compressedBytes, limits, what);
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.hash.update(chunk);
        this.size += chunk.length;
        callback();
      },
    });
    this.done = new Promise((resolve) => {
      pipeline(decompressor, guard, sink, (e) => {
        if (e && this.error === undefined) this.error = describeStreamError(e, what);
        resolve();
      });
    });
  }

  async write(chunk: Buffer): Promise<void> {
    const decompressor = this.decompressor;
    if (!decompressor || this.error !== undefined || decompressor.destroyed) return;
    this.compressedBytes += chunk.length;
    if (!decompressor.write(chunk)) {
      await new Promise<void>((resolve) => {
        const settle = () => {
          decompressor.off('drain', settle);
          decompressor.off('close', settle);
          resolve();
        };
        decompressor.on('drain', settle);
        decompressor.on('close', settle);
      });
    }
  }

  async finish(): Promise<HashOutcome> {
    if (this.decompressor && !this.decompressor.destroyed) this.decompressor.end();
    await this.done;
    if (this.error !== undefined) return { error: this.error };
    return { digest: `sha256:${this.hash.digest('hex')}`, size: this.size };
  }

  /** Gives up early (cancellation, or the entry ended abnormally). */
  abort(): void {
    if (this.error === undefined) this.error = new LighterError('CANCELLED', 'Cancelled');
    this.decompressor?.destroy();
  }
}

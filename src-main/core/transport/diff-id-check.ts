import { Transform, type TransformCallback } from 'node:stream';
import { LighterError } from '../errors';
import type { Descriptor } from '../image/types';
import { detectCompression, MAGIC_LENGTH } from '../archive/compression';
import { DecompressedHasher } from '../archive/content-hasher';
import { resolveLimits } from '../archive/limits';
import { diffIDMismatch } from '../archive/read-oci';

/**
 * Passes a layer's bytes on while checking that, decompressed, they hash to the diff_id its config
 * names; the stream fails instead of ending when they do not. Compression is told by magic bytes,
 * as an engine does; an uncompressed layer's diff_id is its digest (which is checked elsewhere).
 */
export class DiffIDCheck extends Transform {
  private head: Buffer[] | undefined = [];
  private headBytes = 0;
  private hasher?: DecompressedHasher;

  constructor(
    private readonly layer: Descriptor,
    private readonly diffID: string,
  ) {
    super({ highWaterMark: 1 << 20 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let hashing: Promise<void> | undefined;
    if (this.head) {
      this.head.push(chunk);
      this.headBytes += chunk.length;
      if (this.headBytes >= MAGIC_LENGTH) hashing = this.decide();
    } else {
      hashing = this.hasher?.write(chunk);
    }
    // The inflater sets the pace: memory stays bounded whatever the layer's size.
    if (hashing) hashing.then(() => callback(null, chunk), callback);
    else callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.check().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.hasher?.abort();
    callback(error);
  }

  private decide(): Promise<void> | undefined {
    const start = Buffer.concat(this.head!);
    this.head = undefined;
    const compression = detectCompression(start.subarray(0, MAGIC_LENGTH));
    if (compression === 'none') return undefined;
    this.hasher = new DecompressedHasher(compression, resolveLimits(), `Layer ${this.layer.digest}`);
    return this.hasher.write(start);
  }

  private async check(): Promise<void> {
    if (this.head) await this.decide();
    if (!this.hasher) {
      if (this.layer.digest !== this.diffID) throw diffIDMismatch(this.layer.digest, this.diffID, this.layer.digest);
      return;
    }
    const outcome = await this.hasher.finish();
    if ('error' in outcome) throw outcome.error;
    if (outcome.digest !== this.diffID) throw diffIDMismatch(this.layer.digest, this.diffID, outcome.digest);
  }
}

/** A config's rootfs.diff_ids, one per layer of the manifest, or a precise refusal. */
export function diffIDsOf(configBytes: Buffer, layers: Descriptor[], what: string): string[] {
  let ids: unknown;
  try {
    ids = (JSON.parse(configBytes.toString('utf8')) as { rootfs?: { diff_ids?: unknown } })?.rootfs?.diff_ids;
  } catch {
    throw new LighterError('INVALID_INPUT', `The config of ${what} is not JSON`);
  }
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(id))) {
    throw new LighterError('INVALID_INPUT', `The config of ${what} has no valid rootfs.diff_ids`);
  }
  if (ids.length !== layers.length) {
    throw new LighterError('INVALID_INPUT', `The config of ${what} lists ${ids.length} diff_ids for ${layers.length} layers`);
  }
  return ids as string[];
}

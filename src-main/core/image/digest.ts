import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { LighterError } from '../errors';

/** `sha256:<64 hex>`; other algorithms are recognised by the reference grammar but not produced. */
export type Digest = `sha256:${string}`;

const sha256Pattern = /^sha256:[a-f0-9]{64}$/;

export function isDigest(value: string): value is Digest {
  return sha256Pattern.test(value);
}

export function parseDigest(value: string): Digest {
  if (!isDigest(value)) throw new LighterError('INVALID_INPUT', `Not a sha256 digest: "${value.slice(0, 80)}"`);
  return value;
}

export function digestHex(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * A pass-through stream that hashes what flows through it and counts the bytes. When `expected` is
 * given, the stream fails with DIGEST_MISMATCH at the end instead of finishing, so a consumer that
 * waits for 'finish' never accepts wrong bytes.
 */
export class DigestStream extends Transform {
  private readonly hash: Hash;
  bytes = 0;
  private result?: Digest;

  /** `resume` continues a hash of bytes already seen (e.g. a partial download on disk). */
  constructor(
    private readonly expected?: { digest: string; size?: number; what?: string },
    resume?: { hash: Hash; bytes: number },
  ) {
    super();
    this.hash = resume?.hash ?? createHash('sha256');
    this.bytes = resume?.bytes ?? 0;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.result = `sha256:${this.hash.digest('hex')}`;
    callback(this.expected ? verification(this.expected, this.result, this.bytes) : null);
  }

  /** The digest of everything that passed; only after the stream ended. */
  digest(): Digest {
    if (!this.result) throw new Error('DigestStream.digest() called before the stream ended');
    return this.result;
  }
}

/** What is wrong with `bytes` bytes hashing to `actual` where `expected` was due: a DIGEST_MISMATCH, or null. */
export function verification(expected: { digest: string; size?: number; what?: string }, actual: string, bytes: number): LighterError | null {
  const what = expected.what ?? 'blob';
  if (expected.size !== undefined && expected.size >= 0 && expected.size !== bytes) {
    return new LighterError('DIGEST_MISMATCH', `Size mismatch for ${what} ${expected.digest}: expected ${expected.size} bytes, got ${bytes}`, {
      expected: expected.digest,
      expectedSize: expected.size,
      actualSize: bytes,
    });
  }
  if (actual !== expected.digest) {
    return new LighterError('DIGEST_MISMATCH', `Digest mismatch for ${what}: expected ${expected.digest}, got ${actual}`, { expected: expected.digest, actual });
  }
  return null;
}

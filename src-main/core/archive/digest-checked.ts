import { createHash } from 'node:crypto';
import { LighterError } from '../errors';

/** The DIGEST_MISMATCH for a blob that hashed to `actual`, or null when it is the one expected. */
export function blobMismatch(expected: string, actual: string): LighterError | null {
  if (actual === expected) return null;
  return new LighterError('DIGEST_MISMATCH', `Digest mismatch for blob: expected ${expected}, got ${actual}`, { expected, actual });
}

/** Passes a body through while hashing it; fails with DIGEST_MISMATCH after its last byte when it is not `digest`. */
export async function* digestChecked(body: Buffer | AsyncIterable<Buffer>, digest: string): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  for await (const chunk of Buffer.isBuffer(body) ? [body] : body) {
    hash.update(chunk);
    yield chunk;
  }
  const problem = blobMismatch(digest, `sha256:${hash.digest('hex')}`);
  if (problem) throw problem;
}

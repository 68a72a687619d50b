import { createHash } from 'node:crypto';
import { verification } from '../image/digest';

/** Passes a body through while hashing it; fails with DIGEST_MISMATCH after its last byte when it is not `digest`. */
export async function* digestChecked(body: Buffer | AsyncIterable<Buffer>, digest: string): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of Buffer.isBuffer(body) ? [body] : body) {
    hash.update(chunk);
    size += chunk.length;
    yield chunk;
  }
  const problem = verification({ digest }, `sha256:${hash.digest('hex')}`, size);
  if (problem) throw problem;
}

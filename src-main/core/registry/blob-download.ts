import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, truncate, unlink } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { LighterError } from '../errors';
import type { Descriptor } from '../image/types';
import { fetchBlob } from './blobs';
import type { RegistryClient, Repository } from './client';

export interface DownloadResult {
  path: string;
  digest: string;
  size: number;
  /** Bytes reused from an earlier partial download. */
  resumedFrom: number;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/**
 * Downloads a blob to `dest`, via `<dest>.partial`. An existing partial file is hashed and resumed
 * with a Range request; `dest` appears only once the whole blob is verified. On failure the partial
 * file stays for the next try, unless its bytes proved wrong.
 */
export async function downloadBlobToFile(
  client: RegistryClient,
  repo: Repository,
  descriptor: Descriptor,
  dest: string,
  options: { signal?: AbortSignal; onProgress?: (bytes: number, total: number) => void } = {},
): Promise<DownloadResult> {
  const partial = `${dest}.partial`;
  let offset = await sizeOf(partial);
  if (offset > descriptor.size) {
    await truncate(partial, 0);
    offset = 0;
  }
  const resumedFrom = offset;
  const hash = createHash('sha256');
  if (offset > 0) {
    await pipeline(createReadStream(partial, { end: offset - 1 }), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) hash.update(chunk);
    });
  }
  try {
    const source = fetchBlob(client, repo, descriptor, { signal: options.signal, offset, prefixHash: offset > 0 ? hash : undefined, onProgress: options.onProgress });
    await pipeline(source, createWriteStream(partial, { flags: offset > 0 ? 'a' : 'w' }));
  } catch (e) {
    if (e instanceof LighterError && e.code === 'DIGEST_MISMATCH') {
      await unlink(partial).catch(() => undefined);
      // The old partial bytes may be the bad ones: one fresh try from zero.
      if (resumedFrom > 0) return { ...(await downloadBlobToFile(client, repo, descriptor, dest, options)), resumedFrom: 0 };
    }
    throw e;
  }
  await rename(partial, dest);
  return { path: dest, digest: descriptor.digest, size: descriptor.size, resumedFrom };
}

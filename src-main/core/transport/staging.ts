import { setMaxListeners } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Descriptor } from '../image/types';

export interface StagedCopy {
  /** The blob's bytes, verified as they flow (a wrong byte fails the stream). */
  open(blob: Descriptor, signal: AbortSignal): Promise<Readable>;
  /** Hands a blob to the sequential destination (or skips it); one at a time, in order. */
  write(blob: Descriptor, stream: Readable | undefined): Promise<void>;
  /** Whether the destination already has the blob. */
  has(blob: Descriptor): Promise<boolean>;
  /** Sets places aside for these blobs in this order; true when `write` may then run for several at once. */
  reserve?(blobs: Descriptor[]): Promise<boolean>;
}

/**
 * For a destination that takes blobs one after another (a tar) and a source that reads faster in
 * parallel (a registry): the writer walks the blobs in order, streaming each straight through, while
 * helpers download blobs from the END of the list into temporary files (OS temp folder) until they
 * meet the writer. Only what was fetched ahead touches the disk twice; everything is removed after.
 */
export async function copyStaged(blobs: Descriptor[], helpers: number, copy: StagedCopy, signal?: AbortSignal): Promise<void> {
  if (copy.reserve) {
    const present = await Promise.all(blobs.map((b) => copy.has(b)));
    const missing = blobs.filter((_, i) => !present[i]);
    if (await copy.reserve(missing)) {
      for (const [i, blob] of blobs.entries()) if (present[i]) await copy.write(blob, undefined);
      return copyInPlace(missing, helpers + 1, copy, signal);
    }
  }
  const dir = await mkdtemp(join(tmpdir(), 'lighter-stage-'));
  const stop = new AbortController();
  const combined = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  setMaxListeners(0, combined); // every blob in flight listens to it
  const claimed = blobs.map(() => false);
  const staged: (Promise<string> | undefined)[] = blobs.map(() => undefined);
  let back = blobs.length - 1;

  const stage = async (i: number): Promise<string> => {
    const path = join(dir, blobs[i].digest.slice(7));
    await pipeline(await copy.open(blobs[i], combined), createWriteStream(path, { highWaterMark: 1 << 20 }), { signal: combined });
    return path;
  };
  const helper = async () => {
    while (back >= 0 && !combined.aborted) {
      const i = back--;
      if (claimed[i]) return; // met the writer
      claimed[i] = true;
      staged[i] = stage(i);
      await staged[i]!.catch(() => undefined);
    }
  };
  const writer = async () => {
    for (let i = 0; i < blobs.length; i++) {
      if (!claimed[i]) {
        claimed[i] = true;
        await copy.write(blobs[i], (await copy.has(blobs[i])) ? undefined : await copy.open(blobs[i], combined));
        continue;
      }
      const path = await staged[i]!;
      await copy.write(blobs[i], (await copy.has(blobs[i])) ? undefined : createReadStream(path, { highWaterMark: 1 << 20 }));
      await rm(path, { force: true });
    }
  };
  try {
    const helping = Array.from({ length: Math.max(0, helpers) }, helper);
    await writer().catch((e) => {
      stop.abort(e);
      throw e;
    });
    await Promise.all(helping);
  } finally {
    stop.abort();
    await Promise.allSettled(staged.filter(Boolean) as Promise<string>[]);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Each blob downloads straight to the place the destination set aside for it, `parallel` at once:
 * nothing is staged, every byte is written once. The first failure stops the others.
 */
async function copyInPlace(blobs: Descriptor[], parallel: number, copy: StagedCopy, signal?: AbortSignal): Promise<void> {
  const stop = new AbortController();
  const combined = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  setMaxListeners(0, combined);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (!failed && next < blobs.length) {
      const blob = blobs[next++];
      try {
        await copy.write(blob, await copy.open(blob, combined));
      } catch (e) {
        failed ??= { error: e };
        stop.abort(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, blobs.length) }, worker));
  if (failed) throw failed.error;
}

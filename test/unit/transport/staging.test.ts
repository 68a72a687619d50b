import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../src-main/core/image/digest';
import { copyImage } from '../../../src-main/core/transport/copy';
import { MemoryDestination, MemoryImages, MemorySource } from '../../support/memory-transport';

const stageDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('lighter-stage-')).sort();

/** A sequential destination that records the order blobs arrive in. */
class OrderedDestination extends MemoryDestination {
  order: string[] = [];
  constructor() {
    super({ acceptsIndex: false, sequentialBlobs: true });
  }
  override async putBlob(...args: Parameters<MemoryDestination['putBlob']>): Promise<void> {
    await super.putBlob(...args);
    this.order.push(args[0].digest);
  }
}

function remoteSource(images: MemoryImages, top: ReturnType<MemoryImages['addImage']>) {
  const source = Object.assign(new MemorySource(images, top), { remote: true });
  const opened: string[] = [];
  source.beforeBlob = (d) => opened.push(d.digest);
  return { source, opened };
}

describe('staged copies to sequential destinations', () => {
  it('downloads ahead in parallel but hands blobs over one at a time, in order, verified', async () => {
    const before = stageDirs();
    const images = new MemoryImages();
    const top = images.addImage(8, 32 * 1024);
    const { source, opened } = remoteSource(images, top);
    const dest = new OrderedDestination();
    const result = await copyImage(source, dest, { concurrency: 4 });
    expect(result.blobsCopied).toBe(9);
    expect(dest.maxActive).toBe(1);
    const manifest = JSON.parse(images.manifests.get(top.digest)!.bytes.toString());
    const planned = [manifest.config.digest, ...manifest.layers.map((l: { digest: string }) => l.digest)];
    expect(dest.order).toEqual(planned);
    // Helpers start from the end of the list while the writer starts from the front.
    expect(opened.slice(0, 2)).toContain(planned.at(-1));
    for (const [digest, data] of dest.blobs) expect(sha256(data)).toBe(digest);
    expect(stageDirs()).toEqual(before);
  });

  it('a corrupt blob fetched ahead fails the copy, aborts the destination and leaves no staged file', async () => {
    const before = stageDirs();
    const images = new MemoryImages();
    const top = images.addImage(6, 16 * 1024);
    const { source } = remoteSource(images, top);
    const last = JSON.parse(images.manifests.get(top.digest)!.bytes.toString()).layers.at(-1).digest;
    source.corrupt.add(last);
    const dest = new OrderedDestination();
    await expect(copyImage(source, dest, { concurrency: 3 })).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(dest.aborted).toBe(true);
    expect(dest.committed).toBeUndefined();
    expect(dest.order).not.toContain(last);
    expect(stageDirs()).toEqual(before);
  });

  it('cancelling while staging ends with CANCELLED and no staged file', async () => {
    const before = stageDirs();
    const images = new MemoryImages();
    const top = images.addImage(6, 16 * 1024);
    const { source } = remoteSource(images, top);
    const controller = new AbortController();
    let served = 0;
    source.beforeBlob = () => {
      if (++served === 4) controller.abort();
    };
    const dest = new OrderedDestination();
    await expect(copyImage(source, dest, { concurrency: 3, signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(dest.aborted).toBe(true);
    expect(stageDirs()).toEqual(before);
  });
});

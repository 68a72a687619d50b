/**
 * Destinations that load what they get (an engine) have every layer checked against its config's
 * diff_id on the way: gzip and zstd layers decompressed, plain ones by their digest. A mismatch fails
 * the copy before commit; other destinations are not slowed by the check.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../src-main/core/image/digest';
import { MediaType } from '../../../src-main/core/image/media-types';
import type { ImageManifest } from '../../../src-main/core/image/types';
import { copyImage } from '../../../src-main/core/transport/copy';
import { MemoryDestination, MemoryImages, MemorySource } from '../../support/memory-transport';

const loading = { acceptsIndex: false, sequentialBlobs: true, verifiesDiffIDs: true };

const hasZstd = spawnSync('zstd', ['--version']).status === 0;
if (!hasZstd) {
  if (process.env.CI === 'true') throw new Error('zstd is not installed (Debian package zstd): the zstd diff_id test cannot run in CI');
  console.warn('SKIPPED: the zstd diff_id test needs the zstd tool (Debian package zstd).');
}

/** An image of two layers (one gzip, one plain) whose config says `diffIDs` (the true ones by default). */
function image(diffIDs?: (truth: string[]) => unknown[]) {
  const images = new MemoryImages();
  const tars = [randomBytes(300_000), randomBytes(5000)];
  const layers = [images.addBlob(gzipSync(tars[0]), MediaType.ociLayerGzip), images.addBlob(tars[1], MediaType.ociLayer)];
  const truth = tars.map((t) => sha256(t));
  const config = images.addBlob(Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: diffIDs ? diffIDs(truth) : truth } })), MediaType.ociConfig);
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers };
  return { images, top: images.addManifest(manifest, MediaType.ociManifest), layers, truth };
}

describe('diff_id checks in the copy engine', () => {
  it('passes an image whose layers are what its config says, bytes unchanged', async () => {
    const { images, top } = image();
    const dest = new MemoryDestination(loading);
    await copyImage(new MemorySource(images, top), dest);
    expect(dest.committed?.digest).toBe(top.digest);
    for (const [digest, data] of dest.blobs) expect(sha256(data)).toBe(digest);
  });

  it('a gzip layer that decompresses to something else fails the copy before commit', async () => {
    const { images, top, layers, truth } = image((t) => [sha256('another layer'), t[1]]);
    const dest = new MemoryDestination(loading);
    const error = await copyImage(new MemorySource(images, top), dest).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DIGEST_MISMATCH', details: { expected: sha256('another layer'), actual: truth[0] } });
    expect((error as Error).message).toContain(layers[0].digest);
    expect(dest.committed).toBeUndefined();
    expect(dest.aborted).toBe(true);
    // Anywhere else the same image copies: only loading destinations pay for the check.
    const plain = new MemoryDestination({ acceptsIndex: false, sequentialBlobs: true });
    await copyImage(new MemorySource(images, top), plain);
    expect(plain.committed?.digest).toBe(top.digest);
  });

  it('a plain layer must be its own diff_id; a config with too few diff_ids is refused up front', async () => {
    const swapped = image((t) => [t[0], sha256('not this')]);
    await expect(copyImage(new MemorySource(swapped.images, swapped.top), new MemoryDestination(loading))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    const short = image((t) => [t[0]]);
    const source = new MemorySource(short.images, short.top);
    await expect(copyImage(source, new MemoryDestination(loading))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('lists 1 diff_ids for 2 layers'),
    });
    expect(source.opened).toHaveLength(1); // the config only: no layer was sent anywhere
  });

  it.runIf(hasZstd)('decompresses zstd layers too', async () => {
    const images = new MemoryImages();
    const tar = randomBytes(200_000);
    const packed = spawnSync('zstd', ['-q', '-c'], { input: tar }).stdout;
    const layer = images.addBlob(packed, MediaType.ociLayerZstd);
    const config = images.addBlob(Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [sha256(tar)] } })), MediaType.ociConfig);
    const top = images.addManifest({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer] }, MediaType.ociManifest);
    const dest = new MemoryDestination(loading);
    await copyImage(new MemorySource(images, top), dest);
    expect(dest.committed?.digest).toBe(top.digest);
  });
});

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../../src-main/core/image/digest';
import { MediaType } from '../../../src-main/core/image/media-types';
import { hostPlatform } from '../../../src-main/core/image/platform';
import type { ImageIndex } from '../../../src-main/core/image/types';
import { copyImage } from '../../../src-main/core/transport/copy';
import { openDestination, TransportContext } from '../../../src-main/core/transport/open';
import { parsePlace } from '../../../src-main/core/transport/places';
import { MemoryDestination, MemoryImages, MemorySource } from '../../support/memory-transport';

function twoPlatformIndex() {
  const images = new MemoryImages();
  const amd = images.addImage(2, 4096, { os: 'linux', architecture: 'amd64' });
  const arm = images.addImage(2, 4096, { os: 'linux', architecture: 'arm64', variant: 'v8' });
  const attestation = images.addManifest(
    { schemaVersion: 2, mediaType: MediaType.ociManifest, config: images.addBlob(Buffer.from('{}'), MediaType.ociConfig), layers: [] },
    MediaType.ociManifest,
    { os: 'unknown', architecture: 'unknown' },
  );
  const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [amd, arm, attestation] };
  const top = images.addManifest(index, MediaType.ociIndex);
  return { images, amd, arm, top };
}

describe('copy engine', () => {
  it('copies a single image, verifying every blob, and commits the manifest unchanged', async () => {
    const images = new MemoryImages();
    const top = images.addImage(3, 10_000);
    const dest = new MemoryDestination();
    const result = await copyImage(new MemorySource(images, top), dest);
    expect(result.digest).toBe(top.digest);
    expect(result.blobsCopied).toBe(4);
    expect(dest.committed?.digest).toBe(top.digest);
    for (const [digest, data] of dest.blobs) expect(sha256(data)).toBe(digest);
    expect(dest.blobs.size).toBe(4);
  });

  it('skips blobs the destination already has', async () => {
    const images = new MemoryImages();
    const top = images.addImage(3, 2048);
    const dest = new MemoryDestination();
    await copyImage(new MemorySource(images, top), dest);
    const again = new MemorySource(images, top);
    const result = await copyImage(again, dest);
    expect(result.blobsSkipped).toBe(4);
    expect(result.blobsCopied).toBe(0);
    expect(again.opened).toEqual([]);
  });

  it('fails on a corrupted blob, keeps nothing and commits nothing', async () => {
    const images = new MemoryImages();
    const top = images.addImage(2, 8192);
    const source = new MemorySource(images, top);
    const manifest = JSON.parse(images.manifests.get(top.digest)!.bytes.toString());
    source.corrupt.add(manifest.layers[1].digest);
    const dest = new MemoryDestination();
    await expect(copyImage(source, dest)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(dest.committed).toBeUndefined();
    expect(dest.aborted).toBe(true);
    expect(dest.blobs.size).toBe(0);
  });

  it('refuses a manifest whose bytes do not match its digest', async () => {
    const images = new MemoryImages();
    const top = images.addImage(1, 100);
    const m = images.manifests.get(top.digest)!;
    images.manifests.set(top.digest, { ...m, bytes: Buffer.from(m.bytes.toString().replace('"layers"', ' "layers"')) });
    const dest = new MemoryDestination();
    await expect(copyImage(new MemorySource(images, top), dest)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(dest.committed).toBeUndefined();
  });

  it('cancels mid-copy: CANCELLED, destination aborted, nothing committed', async () => {
    const images = new MemoryImages();
    const top = images.addImage(6, 4096);
    const source = new MemorySource(images, top);
    const controller = new AbortController();
    let served = 0;
    source.beforeBlob = () => {
      if (++served === 3) controller.abort();
    };
    const dest = new MemoryDestination();
    await expect(copyImage(source, dest, { signal: controller.signal, concurrency: 1 })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(dest.aborted).toBe(true);
    expect(dest.committed).toBeUndefined();
  });

  it('copies blobs in parallel up to the limit, and one at a time for sequential destinations', async () => {
    const images = new MemoryImages();
    const top = images.addImage(10, 64 * 1024);
    const parallel = new MemoryDestination();
    await copyImage(new MemorySource(images, top), parallel, { concurrency: 4 });
    expect(parallel.maxActive).toBeGreaterThan(1);
    expect(parallel.maxActive).toBeLessThanOrEqual(4);
    const sequential = new MemoryDestination({ acceptsIndex: false, sequentialBlobs: true });
    await copyImage(new MemorySource(images, top), sequential, { concurrency: 4 });
    expect(sequential.maxActive).toBe(1);
  });

  it('chooses the host platform from an index, skipping attestations', async () => {
    const { images, amd, arm, top } = twoPlatformIndex();
    const dest = new MemoryDestination();
    const result = await copyImage(new MemorySource(images, top), dest, { platforms: [{ os: 'linux', architecture: 'arm64' }] });
    expect(result.digest).toBe(arm.digest);
    expect(result.platforms).toEqual(['linux/arm64/v8']);
    const host = await copyImage(new MemorySource(images, top), new MemoryDestination());
    const expected = hostPlatform().architecture === 'arm64' ? arm.digest : amd.digest;
    if (['amd64', 'arm64'].includes(hostPlatform().architecture)) expect(host.digest).toBe(expected);
  });

  it('copies every platform with the index bytes unchanged', async () => {
    const { images, top } = twoPlatformIndex();
    const dest = new MemoryDestination();
    const result = await copyImage(new MemorySource(images, top), dest, { platforms: 'all' });
    expect(result.digest).toBe(top.digest);
    expect(dest.committed!.bytes.equals(images.manifests.get(top.digest)!.bytes)).toBe(true);
    expect(dest.manifests).toHaveLength(3);
    expect(result.platforms).toEqual(['linux/amd64', 'linux/arm64/v8']);
  });

  it('writes a smaller index for a subset of platforms, and refuses several for single-image places', async () => {
    const { images, top } = twoPlatformIndex();
    const both = [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
    ];
    const dest = new MemoryDestination();
    const result = await copyImage(new MemorySource(images, top), dest, { platforms: both });
    const index = JSON.parse(dest.committed!.bytes.toString()) as ImageIndex;
    expect(index.manifests).toHaveLength(2);
    expect(result.digest).toBe(sha256(dest.committed!.bytes));
    const single = new MemoryDestination({ acceptsIndex: false, sequentialBlobs: true });
    await expect(copyImage(new MemorySource(images, top), single, { platforms: both })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await expect(copyImage(new MemorySource(images, top), single, { platforms: 'all' })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('names what exists when the wanted platform is missing', async () => {
    const { images, top } = twoPlatformIndex();
    await expect(
      copyImage(new MemorySource(images, top), new MemoryDestination(), { platforms: [{ os: 'linux', architecture: 's390x' }] }),
    ).rejects.toThrow(/No image for platform linux\/s390x \(available: linux\/amd64, linux\/arm64\/v8\)/);
  });

  it('reports progress in bytes up to the total', async () => {
    const images = new MemoryImages();
    const top = images.addImage(2, 5000);
    const updates: { current?: number; total?: number }[] = [];
    const items = new Map<string, string>();
    await copyImage(new MemorySource(images, top), new MemoryDestination(), {
      job: { progress: (p) => updates.push(p), item: (i) => items.set(i.id, i.status) },
    });
    const total = updates.find((u) => u.total !== undefined)!.total!;
    expect(total).toBeGreaterThan(10_000);
    expect(Math.max(...updates.map((u) => u.current ?? 0))).toBe(total);
    expect([...items.values()].every((s) => s === 'verified')).toBe(true);
  });

  it('leaves the digest check to a destination that checks what it writes, where the source may skip its own', async () => {
    const images = new MemoryImages();
    const top = images.addImage(2, 3000);
    const checking = { acceptsIndex: true, sequentialBlobs: false, checksBlobs: true };
    const plain = new MemorySource(images, top);
    const toChecking = new MemoryDestination(checking);
    await copyImage(plain, toChecking);
    expect(plain.requests.map((r) => r.unverified)).toEqual([true, true, true]);
    expect(toChecking.puts.map((p) => p.unverified)).toEqual([true, true, true]);

    // A source that always checks its bytes: nobody hashes them twice.
    const verifying = Object.assign(new MemorySource(images, top), { verifiesBlobs: true });
    const again = new MemoryDestination(checking);
    await copyImage(verifying, again);
    expect(again.puts.map((p) => p.unverified)).toEqual([false, false, false]);
    // A destination that does not check: the copy engine does.
    const unchecked = new MemoryDestination();
    await copyImage(new MemorySource(images, top), unchecked);
    expect(unchecked.puts.map((p) => p.unverified)).toEqual([false, false, false]);
  });

  it('hands the chunks over to the destination, except a layer whose diff_id an inflater checks on the way', async () => {
    const images = new MemoryImages();
    const top = images.addImage(2, 3000);
    const plain = new MemoryDestination();
    await copyImage(new MemorySource(images, top), plain);
    expect(plain.puts.map((p) => p.handOver)).toEqual([true, true, true]);
    // An engine's destination: the config passes as it is, each layer through a diff_id check.
    const layers = [images.addBlob(randomBytes(5000), MediaType.ociLayer), images.addBlob(randomBytes(7000), MediaType.ociLayer)];
    const config = images.addBlob(Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } })), MediaType.ociConfig);
    const image = images.addManifest({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers }, MediaType.ociManifest);
    const checkingDiffIDs = new MemoryDestination({ acceptsIndex: false, sequentialBlobs: false, verifiesDiffIDs: true });
    await copyImage(new MemorySource(images, image), checkingDiffIDs);
    const handedOver = new Map(checkingDiffIDs.putDigests.map((digest, i) => [digest, checkingDiffIDs.puts[i].handOver]));
    expect(handedOver).toEqual(new Map([[config.digest, true], [layers[0].digest, false], [layers[1].digest, false]]));
  });
});

describe('copy engine into an archive file, which checks the blobs itself', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lighter-copy-archive-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const images = new MemoryImages();
  const top = images.addImage(2, 1_500_000); // big enough to be checked from the file, behind the writes
  const layers: { digest: string }[] = JSON.parse(images.manifests.get(top.digest)!.bytes.toString()).layers;

  it('writes every blob as it should be', async () => {
    const path = join(dir, 'good.tar');
    const destination = await openDestination(parsePlace('docker-archive:' + path), new TransportContext());
    expect(destination.capabilities.checksBlobs).toBe(true);
    await copyImage(Object.assign(new MemorySource(images, top), { remote: true }), destination);
    for (const { digest } of layers) {
      const bytes = execFileSync('tar', ['-xOf', path, `blobs/sha256/${digest.slice(7)}`], { maxBuffer: 8 << 20 });
      expect(sha256(bytes)).toBe(digest);
    }
  });

  it('fails on a corrupted big layer with DIGEST_MISMATCH, leaving no file', async () => {
    const path = join(dir, 'bad.tar');
    const source = Object.assign(new MemorySource(images, top), { remote: true });
    source.corrupt.add(layers[1].digest);
    const destination = await openDestination(parsePlace('docker-archive:' + path), new TransportContext());
    await expect(copyImage(source, destination)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH', message: expect.stringContaining(layers[1].digest) });
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('bad.tar'))).toEqual([]);
  });
});

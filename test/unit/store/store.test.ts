import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../../src-main/core/image/digest';
import { OciLayout } from '../../../src-main/core/layout/layout';
import { withFileLock } from '../../../src-main/core/layout/lock';
import { defaultStoreDir, ImageStore } from '../../../src-main/core/store/store';
import { copyImage } from '../../../src-main/core/transport/copy';
import { LayoutDestination, LayoutSource } from '../../../src-main/core/transport/oci-layout';
import { MemoryDestination, MemoryImages, MemorySource } from '../../support/memory-transport';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lighter-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('OCI layout', () => {
  it('is created with the marker, an empty index and a blob folder', async () => {
    await OciLayout.open(join(dir, 'l'), { create: true });
    expect(JSON.parse(await readFile(join(dir, 'l', 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(JSON.parse(await readFile(join(dir, 'l', 'index.json'), 'utf8')).manifests).toEqual([]);
    await expect(OciLayout.open(join(dir, 'missing'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('round-trips an image: memory → layout → memory keeps every digest', async () => {
    const images = new MemoryImages();
    const top = images.addImage(3, 3000);
    const layout = await OciLayout.open(join(dir, 'l'), { create: true });
    await copyImage(new MemorySource(images, top), new LayoutDestination('oci:l', layout, 'v1'));
    const back = new MemoryDestination();
    const result = await copyImage(new LayoutSource('oci:l:v1', layout, 'v1'), back);
    expect(result.digest).toBe(top.digest);
    for (const [digest, data] of back.blobs) expect(sha256(data)).toBe(digest);
    const files = await readdir(join(dir, 'l', 'blobs', 'sha256'));
    expect(files.every((f) => /^[a-f0-9]{64}$/.test(f))).toBe(true);
    expect(files).toHaveLength(5);
  });

  it('leaves no partial or orphan file after a failed copy into a layout', async () => {
    const images = new MemoryImages();
    const top = images.addImage(4, 5000);
    const source = new MemorySource(images, top);
    const manifest = JSON.parse(images.manifests.get(top.digest)!.bytes.toString());
    source.corrupt.add(manifest.layers[3].digest);
    const layout = await OciLayout.open(join(dir, 'l'), { create: true });
    await expect(copyImage(source, new LayoutDestination('oci:l', layout, 'v1'), { concurrency: 1 })).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(await readdir(join(dir, 'l', 'blobs', 'sha256'))).toEqual([]);
    expect((await layout.readIndex()).manifests).toEqual([]);
  });

  it('serialises concurrent index updates: none is lost', async () => {
    const layout = await OciLayout.open(join(dir, 'l'), { create: true });
    const other = await OciLayout.open(join(dir, 'l'));
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? layout : other).setRef(`tag${i}`, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(String(i)), size: i }),
      ),
    );
    expect((await layout.readIndex()).manifests).toHaveLength(30);
  });

  it('breaks a lock left by a process that is gone, and times out on a live one', async () => {
    const lock = join(dir, 'x.lock');
    await writeFile(lock, '999999999');
    expect(await withFileLock(lock, async () => 'ran')).toBe('ran');
    await writeFile(lock, String(process.pid));
    await expect(withFileLock(lock, async () => 'ran', { timeoutMs: 100 })).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('image store', () => {
  it('lives in LIGHTER_STORE or the platform data folder', () => {
    expect(defaultStoreDir({ LIGHTER_STORE: '/data/s' }, '/home/u', 'linux')).toBe('/data/s');
    expect(defaultStoreDir({}, '/home/u', 'linux')).toBe('/home/u/.local/share/lighter/store');
    expect(defaultStoreDir({ XDG_DATA_HOME: '/x' }, '/home/u', 'linux')).toBe('/x/lighter/store');
    expect(defaultStoreDir({}, '/Users/u', 'darwin')).toBe('/Users/u/Library/Application Support/Lighter/store');
  });

  it('stores images by full reference, lists, shares blobs, removes and collects garbage', async () => {
    const store = await ImageStore.open(join(dir, 'store'));
    const images = new MemoryImages();
    const top = images.addImage(2, 4000);
    await copyImage(new MemorySource(images, top), store.destination('busybox'));
    await copyImage(new MemorySource(images, top), store.destination('localhost:5000/tools/busybox:1.36'));

    const list = await store.list();
    expect(list.map((i) => i.reference)).toEqual(['docker.io/library/busybox:latest', 'localhost:5000/tools/busybox:1.36']);
    expect(list.map((i) => i.familiar)).toEqual(['busybox:latest', 'localhost:5000/tools/busybox:1.36']);
    expect(list[0].digest).toBe(top.digest);
    expect(list[0].platforms).toEqual(['linux/amd64']);
    expect(list[0].size).toBeGreaterThan(8000);
    expect(await readdir(join(dir, 'store', 'blobs', 'sha256'))).toHaveLength(4);

    const out = new MemoryDestination();
    expect((await copyImage(store.source('docker.io/library/busybox:latest'), out)).digest).toBe(top.digest);

    await store.remove('busybox:latest');
    expect((await store.gc({ graceMs: 0 })).removed).toEqual([]);
    await store.remove('localhost:5000/tools/busybox:1.36');
    const gc = await store.gc({ graceMs: 0 });
    expect(gc.removed).toHaveLength(4);
    expect(gc.bytes).toBeGreaterThan(8000);
    expect(await readdir(join(dir, 'store', 'blobs', 'sha256'))).toEqual([]);
    await expect(store.remove('busybox')).rejects.toThrow('No image busybox in the store');
  });

  it('keeps young unreferenced blobs: another process may be about to reference them', async () => {
    const store = await ImageStore.open(join(dir, 'store'));
    const images = new MemoryImages();
    const top = images.addImage(1, 100);
    await copyImage(new MemorySource(images, top), store.destination('a'));
    await store.remove('a');
    expect((await store.gc()).removed).toEqual([]);
    expect((await store.gc({ graceMs: 0 })).removed).toHaveLength(3);
  });
});

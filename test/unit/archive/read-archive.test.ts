import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { helperThreadsRunning } from '../../../src-main/core/archive/member-hash-thread';
import { openArchiveBlob, readArchive, verifyArchive } from '../../../src-main/core/archive/read-archive';
import { MediaType } from '../../../src-main/core/image/media-types';
import { collect, digestOf, legacyDockerArchive, makeImage, ociArchive, randomLayer } from '../../support/archive-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'lighter-read-archive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function file(data: Buffer): string {
  const path = join(dir, `a${counter++}.tar`);
  writeFileSync(path, data);
  return path;
}

describe('readArchive', () => {
  it('reads a legacy docker save with several images sharing a layer through a symlink', async () => {
    const base = await randomLayer();
    const a = makeImage('one:1', [base, await randomLayer()], { docker: true });
    const b = makeImage('two:2', [base], { docker: true });
    const path = file(await legacyDockerArchive([a, b]));
    const contents = await readArchive(path);
    expect(contents.format).toBe('docker-archive');
    expect(contents.layout).toBe('docker-legacy');
    expect(contents.images.map((i) => i.names)).toEqual([['one:1'], ['two:2']]);
    const [one, two] = contents.images;
    expect(one.synthesized).toBe(true);
    expect(one.manifest.mediaType).toBe(MediaType.dockerManifest);
    expect(one.configDescriptor.digest).toBe(a.configDigest);
    expect(one.layers.map((l) => l.descriptor.digest)).toEqual(a.layers.map((l) => l.diffID));
    expect(one.layers.every((l) => l.diffIDVerified && l.descriptor.mediaType === MediaType.dockerLayer)).toBe(true);
    expect(two.layers[0].descriptor.digest).toBe(a.layers[0].diffID);
    expect(one.manifestDescriptor.digest).toBe(digestOf(one.manifestBytes));
    // Blobs stream back from their offsets, verified.
    const layer = await collect(await openArchiveBlob(contents, a.layers[1].digest));
    expect(layer.equals(a.layers[1].tar)).toBe(true);
    expect((await collect(await openArchiveBlob(contents, a.configDigest))).equals(a.config)).toBe(true);
  });

  it('reads an OCI archive with gzip layers, several tags, and verifies every diffID', async () => {
    const a = makeImage('x:1', [await randomLayer(), await randomLayer()], { gzip: true });
    const b = makeImage('y:2', [await randomLayer()]);
    const path = file(await ociArchive([a, b]));
    const contents = await readArchive(path);
    expect(contents.format).toBe('oci-archive');
    expect(contents.images.map((i) => i.names)).toEqual([['1'], ['2']]);
    expect(contents.images[0].layers.map((l) => l.diffIDVerified)).toEqual([false, false]);
    expect(contents.images[0].manifestBytes.equals(a.manifest)).toBe(true);
    const { contents: verified, report } = await verifyArchive(path);
    expect(verified.images[0].layers.every((l) => l.diffIDVerified)).toBe(true);
    expect(report).toMatchObject({ layers: 3, blobs: 5 });
  });

  it('walks nested indexes for several platforms and skips attestations', async () => {
    const amd = makeImage('m:1', [await randomLayer()]);
    const arm = makeImage('m:1', [await randomLayer()]);
    const child = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        { mediaType: MediaType.ociManifest, digest: amd.manifestDigest, size: amd.manifest.length, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: MediaType.ociManifest, digest: arm.manifestDigest, size: arm.manifest.length, platform: { os: 'linux', architecture: 'arm64' } },
        {
          mediaType: MediaType.ociManifest,
          digest: amd.manifestDigest,
          size: amd.manifest.length,
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
        },
      ],
    };
    const childBytes = Buffer.from(JSON.stringify(child));
    const tar = await ociArchive([amd, arm], {
      extraIndex: {
        schemaVersion: 2,
        manifests: [{ mediaType: MediaType.ociIndex, digest: digestOf(childBytes), size: childBytes.length, annotations: { 'io.containerd.image.name': 'docker.io/library/m:1' } }],
      },
    });
    // Put the nested index into the archive as a blob next to the others.
    const { buildTar } = await import('../../support/archive-fixtures');
    const extra = await buildTar([{ path: `blobs/sha256/${digestOf(childBytes).slice(7)}`, data: childBytes }], { end: false });
    const path = file(Buffer.concat([extra, tar]));
    const contents = await readArchive(path);
    expect(contents.images.map((i) => [i.names[0], i.platform?.architecture])).toEqual([
      ['docker.io/library/m:1', 'amd64'],
      ['docker.io/library/m:1', 'arm64'],
    ]);
    expect(contents.images[0].parentIndex?.digest).toBe(digestOf(childBytes));
    expect(contents.documents.get(digestOf(childBytes) as `sha256:${string}`)?.equals(childBytes)).toBe(true);
  });

  it('reads the Docker 25+ combined layout and prefers the stored manifest', async () => {
    const image = makeImage('docker.io/library/c:3', [await randomLayer()], { gzip: true, docker: true });
    const oci = await ociArchive([image]);
    const { buildTar } = await import('../../support/archive-fixtures');
    const manifestJson = JSON.stringify([
      { Config: `blobs/sha256/${image.configDigest.slice(7)}`, RepoTags: ['c:3'], Layers: [`blobs/sha256/${image.layers[0].digest.slice(7)}`] },
    ]);
    const extra = await buildTar([{ path: 'manifest.json', data: manifestJson }], { end: false });
    const path = file(Buffer.concat([extra, oci]));
    const { contents } = await verifyArchive(path);
    expect(contents.layout).toBe('docker-oci');
    expect(contents.images).toHaveLength(1);
    expect(contents.images[0].names).toEqual(['c:3']);
    expect(contents.images[0].synthesized).toBe(false);
    expect(contents.images[0].manifestDescriptor.digest).toBe(image.manifestDigest);
  });

  it('reads gzip-compressed archives and re-reads blobs by scanning again', async () => {
    const image = makeImage('g:1', [await randomLayer()], { docker: true });
    const path = file(gzipSync(await legacyDockerArchive([image])));
    const contents = await readArchive(path);
    expect(contents.compression).toBe('gzip');
    const layer = await collect(await openArchiveBlob(contents, image.layers[0].digest));
    expect(layer.equals(image.layers[0].tar)).toBe(true);
  });

  it('reports progress and honours cancellation', async () => {
    const path = file(await legacyDockerArchive([makeImage('p:1', [await randomLayer(3, 100_000)], { docker: true })]));
    const seen: number[] = [];
    await readArchive(path, { onProgress: (p) => seen.push(p.bytesRead) });
    expect(seen.at(-1)).toBeGreaterThan(300_000);
    const controller = new AbortController();
    controller.abort();
    await expect(readArchive(path, { signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('verifyArchive with big compressed layers (hashed from the file, two at a time)', () => {
  // Random data stays over 1 MiB when gzipped: these take the read-from-the-file path.
  const bigLayers = async () => [await randomLayer(1, 1_500_000), await randomLayer(1, 2_000_000), await randomLayer(1, 1_200_000)];

  it('checks every digest and diffID of an OCI archive and of a docker save', async () => {
    const image = makeImage('big:1', await bigLayers(), { gzip: true });
    for (const bytes of [await ociArchive([image]), await legacyDockerArchive([{ ...image }])]) {
      const { contents, report } = await verifyArchive(file(bytes));
      expect(report.layers).toBe(3);
      const layers = contents.images[0].layers;
      expect(layers.every((l) => l.diffIDVerified)).toBe(true);
      expect(layers.map((l) => l.diffID)).toEqual(image.layers.map((l) => l.diffID));
      expect([...contents.blobs.keys()]).toEqual(expect.arrayContaining(image.layers.map((l) => l.digest)));
    }
  });

  it('checks big uncompressed layers of a docker save (hashed as the scan passes them), and catches one flipped byte', async () => {
    const image = makeImage('plain:1', await bigLayers(), { gzip: false });
    const bytes = await legacyDockerArchive([image]);
    const { contents } = await verifyArchive(file(bytes));
    expect(contents.images[0].layers.map((l) => l.diffID)).toEqual(image.layers.map((l) => l.diffID));
    const flipped = Buffer.from(bytes);
    flipped[flipped.indexOf(image.layers[1].stored.subarray(700_000, 700_032)) + 5] ^= 0x01;
    await expect(verifyArchive(file(flipped))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });

  it('reading an uncompressed archive hashes its big members on the helper threads, as stored only, and catches one flipped byte', async () => {
    await vi.waitFor(() => expect(helperThreadsRunning()).toBe(0), { timeout: 3000, interval: 50 });
    const plain = makeImage('plain:1', await bigLayers(), { gzip: false });
    const contents = await readArchive(file(await legacyDockerArchive([plain])));
    expect(helperThreadsRunning()).toBeGreaterThan(0);
    expect(contents.images[0].layers.map((l) => l.descriptor.digest)).toEqual(plain.layers.map((l) => l.diffID));
    expect(contents.images[0].layers.every((l) => l.diffIDVerified)).toBe(true);
    // gzip layers: their stored digests are checked; their diffIDs are left to verifyArchive.
    const gzip = makeImage('gzip:1', await bigLayers(), { gzip: true });
    const bytes = await ociArchive([gzip]);
    const read = await readArchive(file(bytes));
    expect(read.images[0].layers.map((l) => l.descriptor.digest)).toEqual(gzip.layers.map((l) => l.digest));
    expect(read.images[0].layers.some((l) => l.diffIDVerified)).toBe(false);
    const flipped = Buffer.from(bytes);
    flipped[flipped.indexOf(gzip.layers[1].stored.subarray(800_000, 800_032)) + 3] ^= 0x10;
    await expect(readArchive(file(flipped))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH', message: expect.stringContaining(gzip.layers[1].digest.slice(7)) });
  });

  it('a layer that decompresses to something else than its diffID is DIGEST_MISMATCH', async () => {
    const image = makeImage('big:1', await bigLayers(), { gzip: true });
    const config = JSON.parse(image.config.toString());
    config.rootfs.diff_ids[1] = digestOf('another layer');
    const configBytes = Buffer.from(JSON.stringify(config));
    const path = file(await legacyDockerArchive([{ ...image, config: configBytes, configDigest: digestOf(configBytes) }]));
    await expect(verifyArchive(path)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH', message: expect.stringContaining(image.layers[1].digest) });
  });

  it('a blob that does not match its name, or a corrupt gzip stream, fails with one precise error', async () => {
    const image = makeImage('big:1', await bigLayers(), { gzip: true });
    const bytes = await ociArchive([image]);
    const flipped = Buffer.from(bytes);
    flipped[flipped.indexOf(image.layers[2].stored.subarray(900_000, 900_032))] ^= 0x04;
    await expect(verifyArchive(file(flipped))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH', message: expect.stringContaining(image.layers[2].digest.slice(7)) });
    // The same corruption under a name that matches: only decompressing shows it.
    const stored = Buffer.from(image.layers[0].stored);
    stored[stored.length - 6] ^= 0xff; // inside the gzip trailer's CRC
    const renamed = makeImage('big:1', [], { gzip: true });
    const layer = { ...image.layers[0], stored, digest: digestOf(stored) };
    const broken = { ...renamed, layers: [layer] };
    const config = JSON.parse(image.config.toString());
    config.rootfs.diff_ids = [layer.diffID];
    broken.config = Buffer.from(JSON.stringify(config));
    broken.configDigest = digestOf(broken.config);
    const error = await verifyArchive(file(await legacyDockerArchive([broken]))).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ARCHIVE_INVALID' });
    expect((error as Error).message).not.toContain('\n');
  });
});

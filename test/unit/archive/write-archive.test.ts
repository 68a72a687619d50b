import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { BlobSource } from '../../../src-main/core/archive/archive-model';
import type { ImageToWrite } from '../../../src-main/core/archive/image-writer';
import { parseTaggedName } from '../../../src-main/core/archive/image-names';
import { verifyArchive } from '../../../src-main/core/archive/read-archive';
import { writeDockerArchive } from '../../../src-main/core/archive/write-docker-archive';
import { writeOciArchive, writeOciLayout } from '../../../src-main/core/archive/write-oci';
import { MediaType } from '../../../src-main/core/image/media-types';
import { digestOf, makeImage, randomLayer, sha256Hex, type FixtureImage } from '../../support/archive-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'lighter-write-archive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function source(mediaType: string, data: Buffer, chunk = 1000): BlobSource {
  return {
    descriptor: { mediaType, digest: digestOf(data), size: data.length },
    open: async () => Readable.from((function* () { for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk); })()),
  };
}

function toWrite(image: FixtureImage, names = [image.name]): ImageToWrite {
  const manifest = JSON.parse(image.manifest.toString());
  return {
    names,
    manifest: { bytes: image.manifest, mediaType: manifest.mediaType, digest: image.manifestDigest },
    blobs: [source(manifest.config.mediaType, image.config), ...image.layers.map((l) => source(l.mediaType, l.stored))],
  };
}

function leftovers(): string[] {
  return readdirSync(dir).filter((name) => name.includes('.partial-'));
}

describe('writers', () => {
  it('write a docker archive that reads back with the same digests (plain and gzip outside)', async () => {
    const shared = await randomLayer();
    const a = makeImage('alpine:3.20', [shared, await randomLayer()], { docker: true, gzip: true });
    const b = makeImage('localhost:5000/team/app', [shared], { docker: true, gzip: true });
    for (const compression of ['none', 'gzip'] as const) {
      const path = join(dir, `docker-${compression}.tar`);
      await writeDockerArchive(path, [toWrite(a), toWrite(b, ['localhost:5000/team/app', 'other:1'])], { compression });
      const { contents, report } = await verifyArchive(path);
      expect(contents.compression).toBe(compression);
      expect(contents.layout).toBe('docker-oci');
      expect(contents.images.map((i) => i.names)).toEqual([['alpine:3.20'], ['localhost:5000/team/app:latest', 'other:1']]);
      expect(contents.images.map((i) => i.manifestDescriptor.digest)).toEqual([a.manifestDigest, b.manifestDigest]);
      expect(contents.images[0].synthesized).toBe(false);
      expect(report.layers).toBe(3);
      expect(contents.blobs.size).toBe(4); // the shared layer is stored once
      expect(contents.index?.manifests.map((m) => m.annotations)).toEqual([
        { 'io.containerd.image.name': 'docker.io/library/alpine:3.20', 'org.opencontainers.image.ref.name': '3.20' },
        { 'io.containerd.image.name': 'localhost:5000/team/app:latest', 'org.opencontainers.image.ref.name': 'latest' },
        { 'io.containerd.image.name': 'docker.io/library/other:1', 'org.opencontainers.image.ref.name': '1' },
      ]);
    }
    expect(leftovers()).toEqual([]);
  });

  it('write OCI archives and layouts, with an index for several platforms', async () => {
    const amd = makeImage('m', [await randomLayer()]);
    const arm = makeImage('m', [await randomLayer()], { gzip: true });
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [
          { mediaType: MediaType.ociManifest, digest: amd.manifestDigest, size: amd.manifest.length, platform: { os: 'linux', architecture: 'amd64' } },
          { mediaType: MediaType.ociManifest, digest: arm.manifestDigest, size: arm.manifest.length, platform: { os: 'linux', architecture: 'arm64' } },
        ],
      }),
    );
    const image: ImageToWrite = {
      names: ['v1'],
      manifest: { bytes: index, mediaType: MediaType.ociIndex, digest: digestOf(index) },
      children: [toWrite(amd).manifest, toWrite(arm).manifest],
      blobs: [...toWrite(amd).blobs, ...toWrite(arm).blobs],
    };
    const archive = join(dir, 'multi.oci.tar');
    await writeOciArchive(archive, [image]);
    const { contents } = await verifyArchive(archive);
    expect(contents.format).toBe('oci-archive');
    expect(contents.images.map((i) => [i.names, i.platform?.architecture])).toEqual([
      [['v1'], 'amd64'],
      [['v1'], 'arm64'],
    ]);

    const layout = join(dir, 'layout');
    await writeOciLayout(layout, [image]);
    const top = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
    expect(top.manifests[0]).toMatchObject({ digest: digestOf(index), annotations: { 'org.opencontainers.image.ref.name': 'v1' } });
    for (const name of readdirSync(join(layout, 'blobs/sha256'))) expect(sha256Hex(readFileSync(join(layout, 'blobs/sha256', name)))).toBe(name);
    await expect(writeOciLayout(layout, [image])).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(leftovers()).toEqual([]);
  });

  it('refuse a blob whose bytes do not match and leave nothing behind', async () => {
    const image = makeImage('bad:1', [await randomLayer()], { docker: true });
    const write = toWrite(image);
    const layer = write.blobs[1];
    write.blobs[1] = { descriptor: layer.descriptor, open: async () => Readable.from([Buffer.alloc(layer.descriptor.size, 7)]) };
    const path = join(dir, 'bad.tar');
    await expect(writeDockerArchive(path, [write])).rejects.toMatchObject({ code: 'DIGEST_MISMATCH', message: expect.stringMatching(/^Digest mismatch for blob: expected sha256:/) });
    expect(existsSync(path)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('stop when cancelled and leave nothing behind', async () => {
    const image = makeImage('c:1', [await randomLayer(4, 200_000)], { docker: true });
    const controller = new AbortController();
    const write = toWrite(image);
    const layer = write.blobs[1];
    write.blobs[1] = {
      descriptor: layer.descriptor,
      open: async () => {
        const stream = await layer.open();
        stream.once('data', () => controller.abort());
        return stream;
      },
    };
    const path = join(dir, 'cancelled.tar');
    await expect(writeDockerArchive(path, [write], { signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(existsSync(path)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('normalise names the way Docker does', () => {
    expect(parseTaggedName('alpine')).toEqual({ familiar: 'alpine', full: 'docker.io/library/alpine', tag: 'latest' });
    expect(parseTaggedName('docker.io/library/alpine:3')).toEqual({ familiar: 'alpine', full: 'docker.io/library/alpine', tag: '3' });
    expect(parseTaggedName('localhost:5000/a/b:c')).toEqual({ familiar: 'localhost:5000/a/b', full: 'localhost:5000/a/b', tag: 'c' });
    expect(() => parseTaggedName('Bad/Name')).toThrow('"Bad/Name" is not a valid image name');
    expect(() => parseTaggedName('a@sha256:00')).toThrow('has a digest');
  });
});

/**
 * docker-archives compressed as a whole with the real xz, bzip2 and zstd tools read exactly like the
 * plain tar, through the library and the built CLI; a zstd layer in an OCI archive verifies its
 * diffID; damaged input fails with one precise line. With a test engine, `docker save` output too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveContents } from '../../src-main/core/archive/archive-model';
import { readArchive, verifyArchive } from '../../src-main/core/archive/read-archive';
import { writeDockerArchive } from '../../src-main/core/archive/write-docker-archive';
import { MediaType } from '../../src-main/core/image/media-types';
import { digestOf, makeImage, ociArchive, randomLayer, type FixtureImage } from '../support/archive-fixtures';
import { runBuiltCli } from '../support/cli';
import { docker, requireEngine, testDockerEnv } from '../support/engine';
import { SMALL } from '../support/fixtures';

const tools = { xz: ['xz', 'xz-utils'], bzip2: ['bzip2', 'bzip2'], zstd: ['zstd', 'zstd'] } as const;
type Kind = keyof typeof tools;
const extension: Record<Kind, string> = { xz: 'xz', bzip2: 'bz2', zstd: 'zst' };

function hasTools(): boolean {
  const missing = Object.values(tools).filter(([tool]) => spawnSync(tool, ['--version']).status !== 0);
  if (missing.length === 0) return true;
  const what = missing.map(([tool, pkg]) => `${tool} (Debian package ${pkg})`).join(', ');
  if (process.env.CI === 'true') throw new Error(`missing ${what}: compressed-archive tests cannot run in CI`);
  console.warn(`SKIPPED: compressed-archive tests need ${what}.`);
  return false;
}

/** Compresses a file with the real tool, next to it; returns the new path. */
function compressFile(kind: Kind, path: string): string {
  const out = `${path}.${extension[kind]}`;
  const result = spawnSync(tools[kind][0], ['-c', '-q', path], { maxBuffer: 1024 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${kind} ${path} failed: ${result.stderr}`);
  writeFileSync(out, result.stdout);
  return out;
}

/** What must not change whatever the outer compression. */
function summary(contents: ArchiveContents) {
  return contents.images.map((image) => ({
    names: image.names,
    manifest: image.manifestDescriptor.digest,
    config: image.configDescriptor.digest,
    layers: image.layers.map((l) => [l.descriptor.digest, l.diffID]),
  }));
}

const dir = mkdtempSync(join(tmpdir(), 'lighter-compression-it-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const available = hasTools();
const kinds = Object.keys(tools) as Kind[];

describe.skipIf(!available)('compressed docker-archives', () => {
  const name = 'compressed/app:1';
  let image: FixtureImage;
  let plainTar: string;
  let plain: ArchiveContents;

  beforeAll(async () => {
    image = makeImage(name, [await randomLayer(3, 200_000), await randomLayer(2, 50_000)], { docker: true });
    plainTar = join(dir, 'app.tar');
    await writeDockerArchive(plainTar, [
      {
        names: [name],
        manifest: { bytes: image.manifest, mediaType: MediaType.dockerManifest, digest: image.manifestDigest },
        blobs: [image.config, ...image.layers.map((l) => l.stored)].map((data, i) => ({
          descriptor: { mediaType: i === 0 ? MediaType.dockerConfig : MediaType.dockerLayer, digest: digestOf(data), size: data.length },
          open: async () => Readable.from([data]),
        })),
      },
    ]);
    plain = (await verifyArchive(plainTar)).contents;
    expect(summary(plain)[0].config).toBe(image.configDigest);
  });

  for (const kind of kinds) {
    it(`${kind}: readArchive and verifyArchive give the same images and digests as the plain tar`, async () => {
      const path = compressFile(kind, plainTar);
      const read = await readArchive(path);
      expect(read.compression).toBe(kind);
      expect(summary(read)).toEqual(summary(plain));
      const { contents, report } = await verifyArchive(path);
      expect(summary(contents)).toEqual(summary(plain));
      expect(report.layers).toBe(2);
    });

    it(`${kind}: truncated or damaged archives fail with one precise line`, async () => {
      const packed = readFileSync(compressFile(kind, plainTar));
      const truncated = join(dir, `truncated.tar.${extension[kind]}`);
      writeFileSync(truncated, packed.subarray(0, Math.floor(packed.length * 0.6)));
      await expect(verifyArchive(truncated)).rejects.toMatchObject({ code: 'ARCHIVE_INVALID', message: `Corrupt ${kind} data in archive: it ends early` });
      const damaged = join(dir, `damaged.tar.${extension[kind]}`);
      const copy = Buffer.from(packed);
      for (let at = 200; at < copy.length; at += 997) copy[at] ^= 0x5a;
      writeFileSync(damaged, copy);
      await expect(verifyArchive(damaged)).rejects.toMatchObject({
        code: expect.stringMatching(/^(ARCHIVE_INVALID|DIGEST_MISMATCH)$/),
        message: expect.not.stringContaining('\n'),
      });
    });
  }

  it('lighter copy docker-archive:X.tar.zst oci:DIR and lighter inspect docker-archive:X.tar.xz work on this Node', async () => {
    const zst = compressFile('zstd', plainTar);
    const layout = join(dir, 'layout');
    const copied = await runBuiltCli(['copy', `docker-archive:${zst}`, `oci:${layout}:v1`], { HOME: dir });
    expect(copied.stderr).toBe('');
    expect(copied.code).toBe(0);
    const inLayout = await runBuiltCli(['inspect', '--json', `oci:${layout}:v1`], { HOME: dir });
    expect(inLayout.code).toBe(0);
    expect(inLayout.stdout).toContain(image.configDigest);

    const xz = compressFile('xz', plainTar);
    const inspected = await runBuiltCli(['inspect', `docker-archive:${xz}`], { HOME: dir });
    expect(inspected.stderr).toBe('');
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toContain(`Config:         ${image.configDigest}`);
  });
});

describe.skipIf(!available)('zstd layers inside an OCI archive', () => {
  function zstdLayerImage(tar: Buffer, stored: Buffer): FixtureImage {
    const base = makeImage('zstd/layer:1', [tar]);
    const layer = { ...base.layers[0], stored, digest: digestOf(stored), mediaType: MediaType.ociLayerZstd };
    const manifest = JSON.parse(base.manifest.toString());
    manifest.layers = [{ mediaType: layer.mediaType, digest: layer.digest, size: stored.length }];
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    return { ...base, layers: [layer], manifest: manifestBytes, manifestDigest: digestOf(manifestBytes) };
  }

  function zstd(data: Buffer): Buffer {
    return spawnSync('zstd', ['-c', '-q'], { input: data, maxBuffer: 64 * 1024 * 1024 }).stdout;
  }

  it('verifies the diffID of a tar+zstd layer', async () => {
    const tar = await randomLayer(2, 100_000);
    const path = join(dir, 'zstd-layer.tar');
    writeFileSync(path, await ociArchive([zstdLayerImage(tar, zstd(tar))]));
    const { contents } = await verifyArchive(path);
    const [layer] = contents.images[0].layers;
    expect(layer.descriptor.mediaType).toBe(MediaType.ociLayerZstd);
    expect(layer.diffID).toBe(digestOf(tar));
    expect(layer.diffIDVerified).toBe(true);
  });

  it('a truncated zstd layer fails with one precise line', async () => {
    const tar = await randomLayer(2, 100_000);
    const packed = zstd(tar);
    const path = join(dir, 'zstd-layer-truncated.tar');
    writeFileSync(path, await ociArchive([zstdLayerImage(tar, packed.subarray(0, packed.length - 100))]));
    await expect(verifyArchive(path)).rejects.toMatchObject({ code: 'ARCHIVE_INVALID', message: 'Corrupt zstd data in layer: it ends early' });
  });
});

const host = available ? requireEngine() : '';

describe.skipIf(!host)('docker save output, compressed (test engine)', () => {
  it('reads a docker save compressed with each tool: the image ID docker reports', async () => {
    const env = testDockerEnv(host);
    const saved = join(dir, 'small.tar');
    await docker(env, 'save', '-o', saved, SMALL);
    const id = (await docker(env, 'image', 'inspect', '--format', '{{.Id}}', SMALL)).trim();
    const plain = summary((await verifyArchive(saved)).contents);
    for (const kind of kinds) {
      const { contents } = await verifyArchive(compressFile(kind, saved));
      expect(contents.images[0].configDescriptor.digest).toBe(id);
      expect(summary(contents)).toEqual(plain);
    }
  });
});

/**
 * Archives against outside judges: skopeo reads what Lighter writes and writes what Lighter reads;
 * the test engine (Docker 20.10 on Debian) loads Lighter's docker-archives and saves images that
 * Lighter then reads and verifies.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobSource } from '../../src-main/core/archive/archive-model';
import type { ImageToWrite } from '../../src-main/core/archive/image-writer';
import { readArchive, verifyArchive } from '../../src-main/core/archive/read-archive';
import { writeDockerArchive } from '../../src-main/core/archive/write-docker-archive';
import { writeOciArchive, writeOciLayout } from '../../src-main/core/archive/write-oci';
import { sha256 } from '../../src-main/core/image/digest';
import { digestOf, makeImage, randomLayer, type FixtureImage } from '../support/archive-fixtures';
import { docker, requireEngine, testDockerEnv } from '../support/engine';
import { MULTI, MULTI_LATEST, SMALL } from '../support/fixtures';

function hasSkopeo(): boolean {
  const found = ['/usr/bin/skopeo', '/usr/local/bin/skopeo'].some((p) => existsSync(p));
  if (!found) {
    if (process.env.CI === 'true') throw new Error('skopeo is not installed: archive judge tests cannot run in CI');
    console.warn('SKIPPED: archive judge tests need skopeo (Debian package skopeo).');
  }
  return found;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, env: { PATH: process.env.PATH, HOME: process.env.HOME } }, (error, stdout, stderr) =>
      error ? reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.trim()}`)) : resolve(stdout),
    ),
  );
}

function source(mediaType: string, data: Buffer): BlobSource {
  return { descriptor: { mediaType, digest: digestOf(data), size: data.length }, open: async () => Readable.from([data]) };
}

function toWrite(image: FixtureImage, names: string[]): ImageToWrite {
  const manifest = JSON.parse(image.manifest.toString());
  return {
    names,
    manifest: { bytes: image.manifest, mediaType: manifest.mediaType, digest: image.manifestDigest },
    blobs: [source(manifest.config.mediaType, image.config), ...image.layers.map((l) => source(l.mediaType, l.stored))],
  };
}

const dir = mkdtempSync(join(tmpdir(), 'lighter-archive-it-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasSkopeo())('archives judged by skopeo', () => {
  let gz: FixtureImage;
  let plain: FixtureImage;
  beforeAll(async () => {
    gz = makeImage('judge/gz:v1', [await randomLayer(3, 20_000), await randomLayer()], { gzip: true });
    // skopeo's OCI layout reader only looks at OCI media types in index.json, so this one is OCI too.
    plain = makeImage('judge/plain:v2', [await randomLayer()]);
  });

  it('skopeo turns our OCI layout into docker and OCI archives that we read and verify', async () => {
    const layout = join(dir, 'layout');
    await writeOciLayout(layout, [toWrite(gz, ['v1']), toWrite(plain, ['v2'])]);
    const dockerTar = join(dir, 'skopeo-docker.tar');
    const ociTar = join(dir, 'skopeo-oci.tar');
    await run('skopeo', ['copy', '-q', `oci:${layout}:v1`, `docker-archive:${dockerTar}:judge/gz:v1`]);
    await run('skopeo', ['copy', '-q', `oci:${layout}:v2`, `oci-archive:${ociTar}:v2`]);

    const fromDocker = await verifyArchive(dockerTar);
    expect(fromDocker.contents.format).toBe('docker-archive');
    const [image] = fromDocker.contents.images;
    expect(image.names).toEqual(['docker.io/judge/gz:v1']);
    expect(image.configDescriptor.digest).toBe(gz.configDigest);
    expect(image.layers.map((l) => l.diffID)).toEqual(gz.layers.map((l) => l.diffID));
    expect(image.layers.every((l) => l.diffIDVerified)).toBe(true);

    const fromOci = await verifyArchive(ociTar);
    expect(fromOci.contents.format).toBe('oci-archive');
    expect(fromOci.contents.images[0].names).toEqual(['v2']);
    expect(fromOci.contents.images[0].configDescriptor.digest).toBe(plain.configDigest);
    expect(fromOci.report.layers).toBe(1);
  });

  it('skopeo reads our docker-archive and oci-archive with the same digests', async () => {
    const dockerTar = join(dir, 'ours-docker.tar');
    const ociTar = join(dir, 'ours-oci.tar');
    await writeDockerArchive(dockerTar, [toWrite(gz, ['judge/gz:v1'])]);
    await writeOciArchive(ociTar, [toWrite(gz, ['v1']), toWrite(plain, ['v2'])], { compression: 'gzip' });

    // skopeo describes docker-archive layers by their uncompressed digests (the diffIDs).
    const inspected = JSON.parse(await run('skopeo', ['inspect', `docker-archive:${dockerTar}`]));
    expect(inspected.Layers).toEqual(gz.layers.map((l) => l.diffID));
    // A full copy makes skopeo hash every layer against the config.
    const copied = join(dir, 'copied-layout');
    await run('skopeo', ['copy', '-q', `docker-archive:${dockerTar}`, `oci:${copied}:x`]);
    expect(JSON.parse(await run('skopeo', ['inspect', '--config', '--raw', `oci:${copied}:x`])).rootfs.diff_ids).toEqual(gz.layers.map((l) => l.diffID));
    const config = await run('skopeo', ['inspect', '--config', '--raw', `docker-archive:${dockerTar}`]);
    expect(sha256(config)).toBe(gz.configDigest);

    // skopeo 1.9 does not read compressed oci-archives; write a plain one for it as well.
    const plainOci = join(dir, 'ours-oci-plain.tar');
    await writeOciArchive(plainOci, [toWrite(gz, ['v1']), toWrite(plain, ['v2'])]);
    const raw = await run('skopeo', ['inspect', '--raw', `oci-archive:${plainOci}:v1`]);
    expect(sha256(raw)).toBe(gz.manifestDigest);
    const second = JSON.parse(await run('skopeo', ['inspect', `oci-archive:${plainOci}:v2`]));
    expect(second.Layers).toEqual(plain.layers.map((l) => l.digest));
    expect((await readArchive(ociTar)).compression).toBe('gzip');
  });
});

const host = requireEngine();

describe.skipIf(!host)('archives judged by docker load and docker save (test engine)', () => {
  const env = host ? testDockerEnv(host) : {};
  const loaded: string[] = [];
  afterAll(async () => {
    for (const name of loaded) await docker(env, 'rmi', '-f', name).catch(() => {});
  });

  for (const variant of ['plain layers', 'gzip layers', 'gzip outside'] as const) {
    it(`docker load takes our docker-archive (${variant}) and reports the config digest as image ID`, async () => {
      const name = `lighter-archive-test/${variant.replace(' ', '-')}:1`;
      const image = makeImage(name, [await randomLayer(2, 4000), await randomLayer(1, 1000)], { docker: true, gzip: variant === 'gzip layers' });
      const path = join(dir, `load-${variant.replace(' ', '-')}.tar`);
      await writeDockerArchive(path, [toWrite(image, [name])], { compression: variant === 'gzip outside' ? 'gzip' : 'none' });
      const out = await docker(env, 'load', '-i', path);
      loaded.push(name);
      expect(out).toContain(`Loaded image: ${name}`);
      expect((await docker(env, 'image', 'inspect', '--format', '{{.Id}}', name)).trim()).toBe(image.configDigest);

      // And back: docker save of what was loaded reads with the same config and diffIDs.
      const saved = join(dir, `saved-${variant.replace(' ', '-')}.tar`);
      await docker(env, 'save', '-o', saved, name);
      const { contents } = await verifyArchive(saved);
      expect(contents.images[0].names).toEqual([name]);
      expect(contents.images[0].configDescriptor.digest).toBe(image.configDigest);
      expect(contents.images[0].layers.map((l) => l.diffID)).toEqual(image.layers.map((l) => l.diffID));
    });
  }

  it('reads a docker save of several images sharing layers, then round-trips it through our writer', async () => {
    const saved = join(dir, 'fixtures.tar');
    await docker(env, 'save', '-o', saved, MULTI, MULTI_LATEST, SMALL);
    const { contents, report } = await verifyArchive(saved);
    const ids = await Promise.all([MULTI, SMALL].map(async (n) => (await docker(env, 'image', 'inspect', '--format', '{{.Id}}', n)).trim()));
    const multi = contents.images.find((i) => i.names.includes(MULTI))!;
    const small = contents.images.find((i) => i.names.includes(SMALL))!;
    expect(multi.names.sort()).toEqual([MULTI, MULTI_LATEST].sort());
    expect([multi.configDescriptor.digest, small.configDescriptor.digest]).toEqual(ids);
    expect(report.layers).toBe(multi.layers.length + small.layers.length);

    // Re-export with our writer under a new name and load it back: same image ID.
    const { archiveBlobSource } = await import('../../src-main/core/archive/read-archive');
    const path = join(dir, 'rewritten.tar');
    const name = 'lighter-archive-test/rewritten:1';
    await writeDockerArchive(path, [
      {
        names: [name],
        manifest: { bytes: small.manifestBytes, mediaType: small.manifestDescriptor.mediaType, digest: small.manifestDescriptor.digest },
        blobs: [small.configDescriptor, ...small.layers.map((l) => l.descriptor)].map((d) => archiveBlobSource(contents, d)),
      },
    ]);
    await docker(env, 'load', '-i', path);
    loaded.push(name);
    expect((await docker(env, 'image', 'inspect', '--format', '{{.Id}}', name)).trim()).toBe(ids[1]);
    expect(readdirSync(dir).filter((n) => n.includes('.partial-'))).toEqual([]);
  });
});

/**
 * An archive source reads (and hashes) the file once and sends its blobs from that same file: nothing
 * hashes them again, so a change to the file after the read must fail the blob.
 */
import { copyFileSync, mkdtempSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ArchiveSource } from '../../../src-main/core/transport/archive-source';
import { collect, legacyDockerArchive, makeImage, randomLayer } from '../../support/archive-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'lighter-archive-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** This process's open descriptors on `path`. */
function openOn(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(path);
    } catch {
      return false;
    }
  }).length;
}

async function imageFile(name: string, compress = false) {
  const image = makeImage('judge/app:1', [await randomLayer(1, 1_500_000), await randomLayer(2, 40_000)], { docker: true });
  const tar = await legacyDockerArchive([image]);
  const path = join(dir, name);
  writeFileSync(path, compress ? gzipSync(tar) : tar);
  const source = new ArchiveSource(`docker-archive:${path}`, path);
  const layer = { digest: image.layers[0].diffID, size: image.layers[0].tar.length, mediaType: 'application/vnd.docker.image.rootfs.diff.tar' };
  return { image, tar, path, source, layer };
}

describe('ArchiveSource blobs', () => {
  it('come from the file as it was read, which is not held open between blobs', async () => {
    const { image, path, source, layer } = await imageFile('held.tar');
    await source.topManifest();
    expect((await collect(await source.blob(layer, {}))).equals(image.layers[0].tar)).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(openOn(path)).toBe(0);
  });

  it('fail when another file took the path after the read, even one with the same bytes', async () => {
    const { path, source, layer } = await imageFile('replaced.tar');
    await source.topManifest();
    copyFileSync(path, `${path}.copy`);
    renameSync(`${path}.copy`, path);
    await expect(source.blob(layer, {}).then(collect)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });

  it('fail when the file was written to after the read', async () => {
    const { tar, path, source, layer, image } = await imageFile('written.tar');
    await source.topManifest();
    await new Promise((r) => setTimeout(r, 20)); // past the file system's timestamp granularity
    const changed = Buffer.from(tar);
    changed[changed.indexOf(image.layers[0].tar.subarray(600_000, 600_032)) + 7] ^= 0x01;
    writeFileSync(path, changed);
    await expect(source.blob(layer, {}).then(collect)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });

  it('of a compressed archive are decompressed again', async () => {
    const { image, source, layer } = await imageFile('packed.tar.gz', true);
    await source.topManifest();
    expect((await collect(await source.blob(layer, {}))).equals(image.layers[0].tar)).toBe(true);
  });
});

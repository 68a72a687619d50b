/**
 * An archive file as a verified whole-archive stream (what an engine destination takes): handed out
 * only after every digest was checked, only when it already names the image as asked, never for a
 * corrupted file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LighterError } from '../../../src-main/core/errors';
import { ArchiveSource } from '../../../src-main/core/transport/archive-source';
import { legacyDockerArchive, makeImage, ociArchive, randomLayer } from '../../support/archive-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'lighter-verified-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function archiveFile(name: string, make: () => Promise<Buffer>): Promise<{ path: string; bytes: Buffer }> {
  const path = join(dir, name);
  const bytes = await make();
  writeFileSync(path, bytes);
  return { path, bytes };
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

describe('ArchiveSource.archiveStream', () => {
  it('hands out the verified file byte for byte when it records exactly the names asked for', async () => {
    const image = makeImage('judge/app:1', [await randomLayer(3, 50_000), await randomLayer()], { docker: true });
    const { path, bytes } = await archiveFile('named.tar', () => legacyDockerArchive([image]));
    const source = new ArchiveSource('a', path);
    const archive = await source.archiveStream({ verified: true, names: ['docker.io/judge/app:1'] });
    expect(archive?.verified).toBe(true);
    expect(archive?.size).toBe(bytes.length);
    expect(archive?.image?.manifest.digest).toBe((await source.topManifest()).digest);
    expect(archive?.image?.blobs).toBe(3);
    expect((await collect(archive!.stream)).equals(bytes)).toBe(true);
  });

  it('declines other names, unverified requests, several images and OCI archives', async () => {
    const one = makeImage('judge/app:1', [await randomLayer()], { docker: true });
    const two = makeImage('judge/other:1', [await randomLayer()], { docker: true });
    const { path } = await archiveFile('decline.tar', () => legacyDockerArchive([one]));
    expect(await new ArchiveSource('a', path).archiveStream({ verified: true, names: ['judge/app:2'] })).toBeUndefined();
    expect(await new ArchiveSource('a', path).archiveStream({ names: ['judge/app:1'] })).toBeUndefined();
    const several = await archiveFile('several.tar', () => legacyDockerArchive([one, two]));
    expect(await new ArchiveSource('a', several.path, 'judge/app:1').archiveStream({ verified: true, names: ['judge/app:1'] })).toBeUndefined();
    const oci = await archiveFile('oci.tar', () => ociArchive([makeImage('judge/app:1', [one.layers[0].tar])]));
    expect(await new ArchiveSource('a', oci.path).archiveStream({ verified: true, names: ['judge/app:1'] })).toBeUndefined();
    // Declined after the read: the blob-by-blob copy goes on from the same source.
    const source = new ArchiveSource('a', path);
    expect(await source.archiveStream({ verified: true, names: ['judge/app:2'] })).toBeUndefined();
    expect((await source.topManifest()).digest).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it('a corrupted layer fails before any stream exists', async () => {
    const image = makeImage('judge/app:1', [await randomLayer(2, 100_000)], { docker: true });
    const { path, bytes } = await archiveFile('corrupt.tar', () => legacyDockerArchive([image]));
    const at = bytes.indexOf(image.layers[0].stored.subarray(60_000, 60_032));
    bytes[at] ^= 0x01;
    writeFileSync(path, bytes);
    const error = await new ArchiveSource('a', path).archiveStream({ verified: true, names: ['judge/app:1'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LighterError);
    expect((error as LighterError).code).toBe('DIGEST_MISMATCH');
  });
});

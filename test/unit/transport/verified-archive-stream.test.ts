/**
 * An archive file as a verified whole-archive stream (what an engine destination takes): passed on
 * while it is checked, its end only after every digest held; only when it already names the image as
 * asked; never whole for a corrupted file.
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
    expect((await collect(archive!.stream)).equals(bytes)).toBe(true);
    const streamed = await archive!.image!;
    expect(streamed.manifest.digest).toBe((await source.topManifest()).digest);
    expect(streamed.blobs).toBe(3);
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

  it('a corrupted layer fails the stream before its last chunk: a reader never gets the whole file', async () => {
    // 3 MiB of layer: the stream comes in several chunks, and the corruption sits in the first ones.
    const image = makeImage('judge/app:1', [await randomLayer(2, 3_000_000)], { docker: true });
    const { path, bytes } = await archiveFile('corrupt.tar', () => legacyDockerArchive([image]));
    const at = bytes.indexOf(image.layers[0].stored.subarray(60_000, 60_032));
    bytes[at] ^= 0x01;
    writeFileSync(path, bytes);
    const archive = await new ArchiveSource('a', path).archiveStream({ verified: true, names: ['judge/app:1'] });
    let received = 0;
    const error = await (async () => {
      for await (const chunk of archive!.stream) received += (chunk as Buffer).length;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LighterError);
    expect((error as LighterError).code).toBe('DIGEST_MISMATCH');
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(bytes.length);
    await expect(archive!.image).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });
});

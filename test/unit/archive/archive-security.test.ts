import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readArchive, verifyArchive } from '../../../src-main/core/archive/read-archive';
import type { ArchiveLimits } from '../../../src-main/core/archive/limits';
import { buildTar, digestOf, legacyDockerArchive, makeImage, ociArchive, randomLayer, rawHeader, type FixtureEntry } from '../../support/archive-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'lighter-archive-security-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function file(data: Buffer): string {
  const path = join(dir, `bad${counter++}.tar`);
  writeFileSync(path, data);
  return path;
}

async function failure(data: Buffer, options: { verify?: boolean; limits?: Partial<ArchiveLimits> } = {}): Promise<{ code: string; message: string }> {
  const path = file(data);
  try {
    if (options.verify) await verifyArchive(path, { limits: options.limits });
    else await readArchive(path, { limits: options.limits });
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected the archive to be refused');
}

const ociLayout = { path: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' };

async function withManifestJson(entries: FixtureEntry[], manifest: unknown): Promise<Buffer> {
  return buildTar([...entries, { path: 'manifest.json', data: JSON.stringify(manifest) }]);
}

describe('hostile or broken archives are refused with one precise line', () => {
  const cases: [string, () => Promise<Buffer>, string, string][] = [
    ['a path with ..', async () => buildTar([{ path: 'blobs/../../etc/passwd', data: 'x' }]), 'ARCHIVE_INVALID', 'Archive entry "blobs/../../etc/passwd" contains ".."'],
    ['an absolute path', async () => buildTar([{ path: '/etc/passwd', data: 'x' }]), 'ARCHIVE_INVALID', 'Archive entry "/etc/passwd" has an absolute path'],
    ['a backslash', async () => buildTar([{ path: '..\\evil', data: 'x' }]), 'ARCHIVE_INVALID', 'Archive entry "..\\evil" contains a backslash'],
    [
      'manifest.json as a symlink',
      async () => buildTar([{ path: 'real.json', data: '[]' }, { path: 'manifest.json', type: 'symlink', linkname: 'real.json' }]),
      'ARCHIVE_INVALID',
      'Manifest.json (manifest.json) is a link; links are not followed',
    ],
    [
      'index.json as a hardlink',
      async () => buildTar([ociLayout, { path: 'x', data: '{}' }, { path: 'index.json', type: 'hardlink', linkname: 'x' }]),
      'ARCHIVE_INVALID',
      'Index.json (index.json) is a link; links are not followed',
    ],
    [
      'a link leaving the archive',
      async () => buildTar([{ path: 'a/layer.tar', type: 'symlink', linkname: '../../../etc/shadow' }]),
      'ARCHIVE_INVALID',
      'Archive link "a/layer.tar" points to "../../../etc/shadow", outside the archive',
    ],
    [
      'an absolute link target',
      async () => buildTar([{ path: 'a/layer.tar', type: 'symlink', linkname: '/etc/shadow' }]),
      'ARCHIVE_INVALID',
      'Archive link "a/layer.tar" points to "/etc/shadow", outside the archive',
    ],
    [
      'a device node',
      async () => Buffer.concat([rawHeader({ name: 'dev', typeflag: '3' }), Buffer.alloc(1024)]),
      'ARCHIVE_INVALID',
      'Archive entry "dev" is a char-device; image archives hold only files, directories and links',
    ],
    ['not a tar at all', async () => Buffer.from('{"hello": "this is JSON, not a tar"}'.padEnd(2048, ' ')), 'ARCHIVE_INVALID', 'Not a tar archive: the first header has no valid checksum'],
    ['a tar of something else', async () => buildTar([{ path: 'README', data: 'hi' }]), 'ARCHIVE_INVALID', 'Not an image archive: it has neither manifest.json nor index.json at its top level'],
    [
      'a truncated archive',
      async () => (await legacyDockerArchive([makeImage('t:1', [await randomLayer()], { docker: true })])).subarray(0, 3000),
      'ARCHIVE_INVALID',
      'Truncated tar: the archive ends at offset 3000 in the middle of a header',
    ],
    [
      'a truncated gzip archive',
      async () => {
        const z = gzipSync(await legacyDockerArchive([makeImage('t:1', [await randomLayer()], { docker: true })]));
        return z.subarray(0, z.length - 100);
      },
      'ARCHIVE_INVALID',
      'The gzip archive is not valid compressed data (unexpected end of file)',
    ],
    [
      'duplicate entries with different content',
      async () => buildTar([{ path: 'manifest.json', data: '[]' }, { path: 'manifest.json', data: '[{}]' }]),
      'ARCHIVE_INVALID',
      'Archive has two different entries named "manifest.json"',
    ],
    [
      'a 30 MiB manifest.json',
      async () => buildTar([{ path: 'manifest.json', data: Buffer.alloc(30 * 1024 * 1024, 0x20) }]),
      'ARCHIVE_INVALID',
      'manifest.json is 30.0 MiB; JSON files over 20.0 MiB are refused',
    ],
    ['manifest.json that is not JSON', async () => buildTar([{ path: 'manifest.json', data: '[{' }]), 'ARCHIVE_INVALID', 'Manifest.json (manifest.json) is not valid JSON'],
    ['manifest.json of the wrong shape', async () => withManifestJson([], { Config: 'x' }), 'ARCHIVE_INVALID', 'manifest.json is not a list of images'],
    [
      'manifest.json pointing outside',
      async () => withManifestJson([], [{ Config: '../config.json', Layers: [] }]),
      'ARCHIVE_INVALID',
      'Archive entry "../config.json" contains ".."',
    ],
    [
      'a missing layer',
      async () => {
        const image = makeImage('m:1', [await randomLayer()], { docker: true });
        return withManifestJson([{ path: 'c.json', data: image.config }], [{ Config: 'c.json', RepoTags: ['m:1'], Layers: ['abc/layer.tar'] }]);
      },
      'ARCHIVE_INVALID',
      'Archive is missing layer 1 of m:1 (abc/layer.tar)',
    ],
    [
      'a layer that does not match its diffID',
      async () => {
        const image = makeImage('m:1', [await randomLayer()], { docker: true });
        const other = await randomLayer();
        return withManifestJson(
          [{ path: 'c.json', data: image.config }, { path: 'l/layer.tar', data: other }],
          [{ Config: 'c.json', RepoTags: ['m:1'], Layers: ['l/layer.tar'] }],
        );
      },
      'DIGEST_MISMATCH',
      'does not match its diff_id: uncompressed it hashes to',
    ],
    [
      'a blob whose content does not match its name',
      async () => buildTar([{ path: `blobs/sha256/${'a'.repeat(64)}`, data: 'not that' }]),
      'DIGEST_MISMATCH',
      `Blob blobs/sha256/${'a'.repeat(64)} does not match its name: its content hashes to ${digestOf('not that')}`,
    ],
    [
      'a descriptor with the wrong size',
      async () => {
        const image = makeImage('s:1', [await randomLayer()]);
        const manifest = JSON.parse(image.manifest.toString());
        manifest.layers[0].size += 1;
        const bytes = Buffer.from(JSON.stringify(manifest));
        const tar = await ociArchive([{ ...image, manifest: bytes, manifestDigest: digestOf(bytes) }]);
        return tar;
      },
      'DIGEST_MISMATCH',
      'Size mismatch for layer 1 of manifest',
    ],
    [
      'a missing OCI blob',
      async () => {
        const image = makeImage('s:1', [await randomLayer()]);
        const index = { schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf('nope'), size: 4 }] };
        return ociArchive([image], { extraIndex: index });
      },
      'ARCHIVE_INVALID',
      `Archive is missing manifest 1 of index.json ${digestOf('nope')} (blobs/sha256/${digestOf('nope').slice(7)})`,
    ],
    [
      'an index that is also a manifest',
      async () => buildTar([ociLayout, { path: 'index.json', data: JSON.stringify({ schemaVersion: 2, manifests: [], layers: [] }) }]),
      'ARCHIVE_INVALID',
      'Index.json has both manifests and config/layers',
    ],
    [
      'an unsupported digest algorithm',
      async () =>
        buildTar([ociLayout, { path: 'index.json', data: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'x', digest: 'sha512:abcd', size: 1 }] }) }]),
      'UNSUPPORTED',
      'Manifest 1 of index.json uses digest sha512:abcd; only sha256 is supported',
    ],
  ];
  for (const [name, build, code, message] of cases) {
    it(name, async () => {
      const error = await failure(await build());
      expect(error.code).toBe(code);
      expect(error.message).toContain(message);
      expect(error.message).not.toContain('\n');
    });
  }

  it('refuses a gzip layer whose uncompressed content does not match its diffID (verify)', async () => {
    const image = makeImage('z:1', [await randomLayer()], { gzip: true });
    const swapped = { ...image, layers: [{ ...image.layers[0], stored: gzipSync(await randomLayer()) }] };
    // Keep the stored digest honest so only the diffID is wrong.
    swapped.layers[0].digest = digestOf(swapped.layers[0].stored);
    const manifest = JSON.parse(image.manifest.toString());
    manifest.layers[0] = { ...manifest.layers[0], digest: swapped.layers[0].digest, size: swapped.layers[0].stored.length };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const tar = await ociArchive([{ ...swapped, manifest: bytes, manifestDigest: digestOf(bytes) }]);
    await expect(readArchive(file(tar))).resolves.toBeDefined(); // reading alone cannot know
    const error = await failure(tar, { verify: true });
    expect(error.code).toBe('DIGEST_MISMATCH');
    expect(error.message).toMatch(/^Layer sha256:[a-f0-9]{64} does not match its diff_id: uncompressed it hashes to sha256:[a-f0-9]{64}, the config says sha256:[a-f0-9]{64}$/);
  });

  it('refuses a gzip bomb outside (absolute cap) and a layer bomb inside (ratio cap)', async () => {
    const image = makeImage('b:1', [await randomLayer()], { docker: true });
    const outer = gzipSync(await legacyDockerArchive([image]));
    const capped = await failure(outer, { limits: { maxDecompressedBytes: 10_000 } });
    expect(capped).toMatchObject({ code: 'ARCHIVE_INVALID', message: 'The gzip archive decompresses to more than 9.8 KiB; refusing a likely decompression bomb' });

    const zeros = Buffer.alloc(4 * 1024 * 1024);
    const bombLayer = makeImage('b:2', [zeros], { gzip: true });
    const tar = await ociArchive([bombLayer]);
    const ratio = await failure(tar, { verify: true, limits: { maxCompressionRatio: 100, ratioGraceBytes: 1024 * 1024 } });
    expect(ratio.code).toBe('ARCHIVE_INVALID');
    expect(ratio.message).toMatch(/^Layer blobs\/sha256\/[a-f0-9]{64} expands more than 100:1 \(.* → .*\); refusing a likely decompression bomb$/);
  });

  it('a truncated layer body', async () => {
    const tar = await legacyDockerArchive([makeImage('t:1', [await randomLayer(1, 20_000)], { docker: true })]);
    const error = await failure(tar.subarray(0, 12_000));
    expect(error.message).toMatch(/^Truncated tar: entry "[a-f0-9]{64}\/layer.tar" ends before its data does$/);
  });

  it('caps the number of entries', async () => {
    const entries = Array.from({ length: 50 }, (_, i) => ({ path: `f${i}`, data: '' }));
    expect(await failure(await buildTar(entries), { limits: { maxEntries: 20 } })).toMatchObject({ message: 'Tar has more than 20 entries' });
  });

  it('accepts identical duplicates', async () => {
    const image = makeImage('d:1', [await randomLayer()], { docker: true });
    const tar = await legacyDockerArchive([image]);
    const dup = await buildTar([{ path: 'repositories', data: '{}' }], { end: false });
    await expect(readArchive(file(Buffer.concat([dup, tar])))).resolves.toMatchObject({ format: 'docker-archive' });
  });
});

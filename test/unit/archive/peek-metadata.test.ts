/**
 * peekMetadata: finds the metadata files of an uncompressed tar by its headers alone, and gives up
 * (undefined) on anything it cannot read plainly, leaving the precise error to the full read.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { peekMetadata } from '../../../src-main/core/archive/peek-metadata';
import { resolveLimits } from '../../../src-main/core/archive/limits';
import { blocks, buildTar, legacyDockerArchive, makeImage, randomLayer, rawHeader } from '../../support/archive-fixtures';

function peek(bytes: Buffer) {
  let reads = 0;
  const readAt = async (length: number, at: number) => (reads++, bytes.subarray(at, at + length));
  // A low depth bound, so a too-deep path fits in a plain header's 100 bytes.
  return { result: peekMetadata(readAt, bytes.length, resolveLimits({ maxPathDepth: 16 })).then((p) => p?.metadata), reads: () => reads };
}

describe('peekMetadata', () => {
  it('reads manifest.json and repositories of a docker save, skipping the layers', async () => {
    const image = makeImage('judge/app:1', [await randomLayer(4, 500_000)], { docker: true });
    const bytes = await legacyDockerArchive([image]);
    const { result, reads } = peek(bytes);
    const found = (await result)!;
    expect(JSON.parse(found.get('manifest.json')!.toString())[0].RepoTags).toEqual(['judge/app:1']);
    expect(found.has('repositories')).toBe(true);
    expect(reads()).toBeLessThan(30);
  });

  it('applies pax paths and sizes, and ignores members with other names', async () => {
    const long = `${'a-rather-long-directory-name/'.repeat(6)}manifest.json`; // over 100 bytes: a pax path
    const bytes = await buildTar([
      { path: long, data: 'not the top-level one' },
      { path: 'manifest.json', data: '[{"RepoTags":["a:1"]}]' },
    ]);
    const found = (await peek(bytes).result)!;
    expect([...found.keys()]).toEqual(['manifest.json']);
    expect(found.get('manifest.json')!.toString()).toBe('[{"RepoTags":["a:1"]}]');
  });

  it('gives up on compressed, truncated, empty and oversized input', async () => {
    const bytes = await buildTar([{ path: 'manifest.json', data: '[]' }]);
    expect(await peek(gzipSync(bytes)).result).toBeUndefined();
    expect(await peek(bytes.subarray(0, 700)).result).toBeUndefined();
    expect(await peek(Buffer.alloc(1024)).result).toBeUndefined();
    const huge = await buildTar([{ path: 'manifest.json', data: Buffer.alloc(21 * 1024 * 1024, 0x20) }]);
    expect(await peek(huge).result).toBeUndefined();
  });

  it('gives up on any header the full read would refuse, before a byte of data is looked at', async () => {
    const manifest = '[{"RepoTags":["a:1"]}]';
    const tarOf = (...headers: Buffer[]) => Buffer.concat([...headers, rawHeader({ name: 'manifest.json', size: manifest.length }), blocks(Buffer.from(manifest)), Buffer.alloc(1024)]);
    // The same archive without the hostile member is accepted: each case below fails for its member alone.
    expect((await peek(tarOf(rawHeader({ name: 'ok/file', size: 0 }))).result)?.has('manifest.json')).toBe(true);
    const hostile = {
      'a parent path': rawHeader({ name: '../escape', size: 0 }),
      'an absolute path': rawHeader({ name: '/etc/passwd', size: 0 }),
      'a symlink out of the archive': rawHeader({ name: 'link', typeflag: '2', linkname: '../../etc' }),
      'a hardlink to an absolute path': rawHeader({ name: 'hard', typeflag: '1', linkname: '/etc/shadow' }),
      'a device node': rawHeader({ name: 'dev', typeflag: '3' }),
      'a path too deep': rawHeader({ name: `${'d/'.repeat(20)}f`, size: 0 }),
      'a size past the end of the file': rawHeader({ name: 'big', size: 1 << 30 }),
    };
    for (const [what, header] of Object.entries(hostile)) {
      expect(await peek(tarOf(header)).result, what).toBeUndefined();
    }
  });
});

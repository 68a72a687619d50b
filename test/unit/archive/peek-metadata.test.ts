/**
 * peekMetadata: finds the metadata files of an uncompressed tar by its headers alone, and gives up
 * (undefined) on anything it cannot read plainly, leaving the precise error to the full read.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { peekMetadata } from '../../../src-main/core/archive/peek-metadata';
import { resolveLimits } from '../../../src-main/core/archive/limits';
import { buildTar, legacyDockerArchive, makeImage, randomLayer } from '../../support/archive-fixtures';

function peek(bytes: Buffer) {
  let reads = 0;
  const readAt = async (length: number, at: number) => (reads++, bytes.subarray(at, at + length));
  return { result: peekMetadata(readAt, bytes.length, resolveLimits()), reads: () => reads };
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
    const long = `${'deep/'.repeat(30)}manifest.json`;
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
});

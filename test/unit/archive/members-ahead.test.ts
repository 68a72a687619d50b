/**
 * Members hashed ahead: when a tar file's layout is known before it is streamed (its headers walked
 * first), its big members are hashed from the file at once instead of when the stream reaches them,
 * and the scan takes those results only for the very member it finds at that place.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { FileMemberHashes } from '../../../src-main/core/archive/file-member-hashes';
import { peekMetadata } from '../../../src-main/core/archive/peek-metadata';
import { resolveLimits } from '../../../src-main/core/archive/limits';
import { scanTarStream } from '../../../src-main/core/archive/scan-archive';
import * as thread from '../../../src-main/core/archive/member-hash-thread';
import { ArchiveSource } from '../../../src-main/core/transport/archive-source';
import { buildTar, digestOf, legacyDockerArchive, makeImage, randomLayer } from '../../support/archive-fixtures';

vi.mock('../../../src-main/core/archive/member-hash-thread', async (original) => {
  const real = await original<typeof thread>();
  return { ...real, hashMemberOffThread: vi.fn(real.hashMemberOffThread) };
});
const hashed = vi.mocked(thread.hashMemberOffThread);

const dir = mkdtempSync(join(tmpdir(), 'lighter-ahead-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fileOf(bytes: Buffer): string {
  const path = join(dir, `${randomBytes(4).toString('hex')}.tar`);
  writeFileSync(path, bytes);
  return path;
}

async function* inChunks(bytes: Buffer, size = 1 << 20): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function filesOf(bytes: Buffer) {
  return (await peekMetadata(async (length, at) => bytes.subarray(at, at + length), bytes.length, resolveLimits()))!.files;
}

describe('members hashed ahead of the stream', () => {
  it('peekMetadata tells where every file lies', async () => {
    const data = randomBytes(3000);
    const bytes = await buildTar([
      { path: 'a', type: 'directory' },
      { path: 'a/one', data },
      { path: 'manifest.json', data: '[]' },
    ]);
    const files = await filesOf(bytes);
    expect(files.map((f) => [f.path, f.size])).toEqual([
      ['a/one', 3000],
      ['manifest.json', 2],
    ]);
    expect(bytes.subarray(files[0].dataOffset, files[0].dataOffset + 3000).equals(data)).toBe(true);
    expect(bytes.subarray(files[1].dataOffset, files[1].dataOffset + 2).toString()).toBe('[]');
  });

  it('a verified archive stream has every layer hashed before its reader has taken a byte, each once', async () => {
    // Four 3 MB gzip layers: the stream holds back a few MiB when nobody reads, far less than the file.
    const layers = await Promise.all([0, 1, 2, 3].map(() => randomLayer(1, 3_000_000)));
    const image = makeImage('judge/app:1', layers, { gzip: true, docker: true });
    const bytes = await legacyDockerArchive([image]);
    const path = fileOf(bytes);
    const lastLayer = bytes.indexOf(image.layers[3].stored.subarray(0, 64));
    hashed.mockClear();
    const archive = await new ArchiveSource('a', path).archiveStream({ verified: true, names: ['judge/app:1'] });
    await vi.waitFor(() => expect(hashed.mock.calls.map(([member]) => member.offset)).toContain(lastLayer), { timeout: 10_000 });
    const parts: Buffer[] = [];
    for await (const chunk of archive!.stream) parts.push(chunk as Buffer);
    expect(Buffer.concat(parts).equals(bytes)).toBe(true);
    expect((await archive!.image!).blobs).toBe(5);
    expect(hashed).toHaveBeenCalledTimes(4);
  });

  it('takes a result only for the member found at its place, as it is found there', async () => {
    const big = randomBytes(1_500_000);
    const onDisk = await buildTar([
      { path: 'one', data: big },
      { path: 'two', data: big },
    ]);
    const path = fileOf(onDisk);
    const files = await filesOf(onDisk);
    // A span that is no member is hashed for nothing, and what is there is hashed as found.
    const withStray = [{ path: 'stray', dataOffset: 100, size: 2_000_000 }, ...files];
    const scan = await scanTarStream(inChunks(onDisk), { path, fileSize: onDisk.length, files: withStray }, { hashDecompressed: true });
    expect(scan.entries.get('one')?.digest).toBe(digestOf(big));
    expect(scan.entries.get('two')?.digest).toBe(digestOf(big));
    // The stream shows a gzip member where the file held plain bytes when it was hashed: the file changed.
    const streamed = await buildTar([
      { path: 'one', data: big },
      { path: 'two', data: Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08]), big.subarray(3)]) },
    ]);
    await expect(scanTarStream(inChunks(streamed), { path, fileSize: onDisk.length, files }, { hashDecompressed: true })).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
      message: `${path} changed while it was read: member two differs`,
    });
  });

  it('runs no further ahead of the scan than it is told: what the helpers read is still cached when the stream gets there', async () => {
    const data = randomBytes(1_500_000);
    const bytes = await buildTar([0, 1, 2, 3].map((i) => ({ path: `m${i}`, data })));
    const path = fileOf(bytes);
    const files = await filesOf(bytes);
    // In whichever order the two running at once get to their threads.
    const started = () => hashed.mock.calls.map(([member]) => member.offset).sort((a, b) => a - b);
    hashed.mockClear();
    const hashes = new FileMemberHashes(path, resolveLimits(), { aheadBytes: 2_000_000 });
    hashes.hashAhead(files);
    await vi.waitFor(() => expect(started()).toEqual([files[0].dataOffset, files[1].dataOffset]));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(started()).toHaveLength(2); // m2 lies 3 MB in: beyond reach until the scan comes nearer
    const second = { ...files[1], type: 'file' as const, compression: 'none' as const };
    hashes.add(second);
    await vi.waitFor(() => expect(started()).toContain(files[2].dataOffset));
    expect(started()).not.toContain(files[3].dataOffset);
    await hashes.finish();
    expect(second).toMatchObject({ digest: digestOf(data) });
    expect(started()).not.toContain(files[3].dataOffset); // never reached: never read
  });
});

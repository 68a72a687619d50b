import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { TarFileSink } from '../../../src-main/core/archive/content-sink';
import * as thread from '../../../src-main/core/archive/member-hash-thread';

vi.mock('../../../src-main/core/archive/member-hash-thread', async (original) => {
  const real = await original<typeof thread>();
  return { ...real, hashMemberOffThread: vi.fn(real.hashMemberOffThread) };
});
const hashedOffThread = vi.mocked(thread.hashMemberOffThread);
const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

const dir = mkdtempSync(join(tmpdir(), 'lighter-sink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Yields `data` in pieces of `piece` bytes, pausing between them so other writers interleave. */
async function* slowly(data: Buffer, piece: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += piece) {
    await sleep(1);
    yield data.subarray(at, at + piece);
  }
}

/** GNU tar as the judge: member names in order, and one member's bytes. */
const members = (file: string) => execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n');
const member = (file: string, name: string) => execFileSync('tar', ['-xOf', file, name], { maxBuffer: 64 << 20 });

describe('TarFileSink reservations', () => {
  it('writes reserved files at once, in any order, and keeps the reserved order in the tar', async () => {
    const path = join(dir, 'ok.tar');
    const a = randomBytes(3 << 20); // several batches
    const b = Buffer.alloc(0);
    const c = randomBytes(70_001); // needs padding
    const sink = await TarFileSink.create(path);
    await sink.directory('blobs'); // still batched when the reservation is made
    expect(sink.reserve([{ path: 'blobs/a', size: a.length }, { path: 'blobs/b', size: 0 }, { path: 'blobs/c', size: c.length }])).toBe(true);
    await sink.file('before-fill.json', 2, Buffer.from('{}'));
    await Promise.all([sink.file('blobs/c', c.length, slowly(c, 10_000)), sink.file('blobs/a', a.length, slowly(a, 300_000)), sink.file('blobs/b', 0, b)]);
    await sink.file('after.json', 2, Buffer.from('[]'));
    await sink.commit();
    expect(members(path)).toEqual(['blobs/', 'blobs/a', 'blobs/b', 'blobs/c', 'before-fill.json', 'after.json']);
    expect(member(path, 'blobs/a').equals(a)).toBe(true);
    expect(member(path, 'blobs/c').equals(c)).toBe(true);
    expect(member(path, 'after.json').toString()).toBe('[]');
    expect(sink.bytesWritten).toBeGreaterThan(a.length + c.length);
  });

  it('fails a reserved file of the wrong length, and abort leaves nothing behind', async () => {
    const path = join(dir, 'short.tar');
    const sink = await TarFileSink.create(path);
    sink.reserve([{ path: 'x', size: 10 }]);
    await expect(sink.file('x', 10, slowly(Buffer.alloc(9), 4))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await sink.abort();
    expect(readdirSync(dir).filter((f) => f.startsWith('short.tar'))).toEqual([]);
  });

  it('refuses to commit while a reserved file was never written', async () => {
    const path = join(dir, 'unfilled.tar');
    const sink = await TarFileSink.create(path);
    sink.reserve([{ path: 'x', size: 1 }]);
    await expect(sink.commit()).rejects.toMatchObject({ code: 'INTERNAL' });
    await sink.abort();
    expect(existsSync(path)).toBe(false);
  });

  it('does not reserve when compressing: bytes must flow in order', async () => {
    const sink = await TarFileSink.create(join(dir, 'c.tar.gz'), { compression: 'gzip' });
    expect(sink.reserve([{ path: 'x', size: 1 }])).toBe(false);
    await sink.file('x', 1, Buffer.from('y'));
    await sink.commit();
    expect(execFileSync('tar', ['-xzOf', join(dir, 'c.tar.gz'), 'x'], { encoding: 'utf8' })).toBe('y');
  });
});

describe('TarFileSink digest checks', () => {
  it('checks a big reserved file from what landed in the file, on a helper thread, and keeps it when it matches', async () => {
    const path = join(dir, 'checked.tar');
    const big = randomBytes(5 << 20);
    const sink = await TarFileSink.create(path);
    sink.reserve([{ path: 'blobs/big', size: big.length }]);
    hashedOffThread.mockClear();
    await sink.file('blobs/big', big.length, slowly(big, 256 << 10), digestOf(big));
    expect(hashedOffThread).toHaveBeenCalledTimes(1);
    expect(hashedOffThread.mock.calls[0][0]).toMatchObject({ path: sink.tempPath, offset: 512, size: big.length, gzip: false });
    await sink.commit();
    expect(member(path, 'blobs/big').equals(big)).toBe(true);
  });

  it('fails a big reserved file whose bytes do not hash to its digest, and abort leaves nothing behind', async () => {
    const path = join(dir, 'mismatch.tar');
    const big = randomBytes(3 << 20);
    const sent = Buffer.from(big);
    sent[(2 << 20) + 5] ^= 0x80;
    const sink = await TarFileSink.create(path);
    sink.reserve([{ path: 'blobs/big', size: big.length }]);
    await expect(sink.file('blobs/big', big.length, slowly(sent, 256 << 10), digestOf(big))).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
      message: `Digest mismatch for blob: expected ${digestOf(big)}, got ${digestOf(sent)}`,
    });
    await sink.abort();
    expect(readdirSync(dir).filter((f) => f.startsWith('mismatch.tar'))).toEqual([]);
  });

  it('checks small and unreserved files as they pass', async () => {
    const path = join(dir, 'inline.tar');
    const small = randomBytes(10_000);
    const sink = await TarFileSink.create(path);
    sink.reserve([{ path: 'small', size: small.length }]);
    hashedOffThread.mockClear();
    await expect(sink.file('small', small.length, slowly(small, 1000), digestOf(Buffer.alloc(1)))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    await expect(sink.file('unreserved', small.length, small, digestOf(Buffer.alloc(1)))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(hashedOffThread).not.toHaveBeenCalled();
    await sink.abort();
    expect(readdirSync(dir).filter((f) => f.startsWith('inline.tar'))).toEqual([]);
  });
});

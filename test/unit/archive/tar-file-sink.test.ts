import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { WrittenRangeCheck } from '../../../src-main/core/archive/content-check';
import { TarFileSink } from '../../../src-main/core/archive/content-sink';
import { helperThreadsRunning } from '../../../src-main/core/archive/member-hash-thread';
import { PartialFile } from '../../../src-main/core/archive/partial-file';
import { slabsReused } from '../../../src-main/core/http/read-slabs';
import { throughSlabs } from '../../support/slab-stream';

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
const digestOf = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const wrongDigest = `sha256:${'0'.repeat(64)}`;

describe('chunks handed over', () => {
  it('a partial file gives chunks back only once written: the file holds every byte as sent', async () => {
    const path = join(dir, 'handed.bin');
    const data = randomBytes(24 << 20);
    const reusedBefore = slabsReused();
    const file = await PartialFile.create(path);
    for await (const chunk of throughSlabs(data, 200_000)) await file.append(chunk, true);
    await file.commit();
    const written = await open(path).then(async (h) => {
      const bytes = await h.readFile();
      await h.close();
      return bytes;
    });
    expect(written.equals(data)).toBe(true);
    expect(slabsReused() - reusedBefore).toBeGreaterThan(20);
  });

  it('a reserved tar member gives them back once written, and checks out whole', async () => {
    const path = join(dir, 'handed.tar');
    const a = randomBytes(12 << 20);
    const b = randomBytes(9 << 20);
    const reusedBefore = slabsReused();
    const sink = await TarFileSink.create(path);
    sink.reserve([{ path: 'a', size: a.length }, { path: 'b', size: b.length }]);
    await Promise.all([
      sink.file('a', a.length, throughSlabs(a, 300_000), { digest: digestOf(a), what: 'a' }, true),
      sink.file('b', b.length, throughSlabs(b, 70_000), { digest: digestOf(b), what: 'b' }, true),
    ]);
    await sink.commit();
    expect(member(path, 'a').equals(a)).toBe(true);
    expect(member(path, 'b').equals(b)).toBe(true);
    expect(slabsReused() - reusedBefore).toBeGreaterThan(10);
  });
});

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

describe('TarFileSink checks what it writes against a digest', () => {
  it('checks a big reserved file from the file, on a helper thread, and keeps it when it matches', async () => {
    const path = join(dir, 'checked.tar');
    const a = randomBytes(5 << 20);
    const sink = await TarFileSink.create(path);
    sink.reserve([{ path: 'a', size: a.length }]);
    await sink.file('a', a.length, slowly(a, 200_000), { digest: digestOf(a), what: 'blob' });
    expect(helperThreadsRunning()).toBeGreaterThan(0); // they end once idle for a while
    await sink.commit();
    expect(member(path, 'a').equals(a)).toBe(true);
  });

  it('fails a big reserved file that does not match, with the digest found, and abort leaves nothing', async () => {
    const path = join(dir, 'mismatch.tar');
    const a = randomBytes(3 << 20);
    const sink = await TarFileSink.create(path);
    sink.reserve([{ path: 'a', size: a.length }]);
    await expect(sink.file('a', a.length, slowly(a, 500_000), { digest: wrongDigest, what: 'blob' })).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
      message: `Digest mismatch for blob: expected ${wrongDigest}, got ${digestOf(a)}`,
    });
    await sink.abort();
    expect(readdirSync(dir).filter((f) => f.startsWith('mismatch.tar'))).toEqual([]);
  });

  it('checks small reserved files and files written in order as they pass', async () => {
    const small = randomBytes(100_000);
    const reserved = await TarFileSink.create(join(dir, 'small.tar'));
    reserved.reserve([{ path: 's', size: small.length }]);
    await expect(reserved.file('s', small.length, slowly(small, 30_000), { digest: wrongDigest, what: 'blob' })).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    await reserved.abort();
    const inOrder = await TarFileSink.create(join(dir, 'in-order.tar.gz'), { compression: 'gzip' });
    await expect(inOrder.file('s', small.length, slowly(small, 30_000), { digest: wrongDigest, what: 'blob' })).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    await inOrder.abort();
    const good = await TarFileSink.create(join(dir, 'good.tar.gz'), { compression: 'gzip' });
    await good.file('s', small.length, slowly(small, 30_000), { digest: digestOf(small), what: 'blob' });
    await good.commit();
    expect(execFileSync('tar', ['-xzOf', join(dir, 'good.tar.gz'), 's']).equals(small)).toBe(true);
  });

  it('stops the helper when the body fails half-way: nothing is left waiting', async () => {
    const sink = await TarFileSink.create(join(dir, 'broken.tar'));
    const size = 4 << 20;
    sink.reserve([{ path: 'a', size }]);
    async function* breaks() {
      yield* slowly(randomBytes(2 << 20), 1 << 20);
      throw new Error('the source went away');
    }
    await expect(sink.file('a', size, breaks(), { digest: wrongDigest, what: 'blob' })).rejects.toThrow('the source went away');
    await sink.abort();
    // A helper still waiting for the rest of the file would stay up.
    await vi.waitFor(() => expect(helperThreadsRunning()).toBe(0), { timeout: 3000, interval: 50 });
  });
});

describe('WrittenRangeCheck', () => {
  it('reads a range only as far as its writes landed in order, whatever order they finish in', async () => {
    const path = join(dir, 'ranges.bin');
    const data = randomBytes(3 << 20);
    writeFileSync(path, Buffer.alloc(data.length + 100)); // zeros until written
    const check = new WrittenRangeCheck(path, 100, data.length, { digest: digestOf(data), what: 'blob' });
    const first = check.landing(1 << 20);
    const second = check.landing(data.length);
    const file = await open(path, 'r+');
    await file.write(data, 1 << 20, data.length - (1 << 20), 100 + (1 << 20));
    second(); // landed first, but the range before it is still zeros: a check reading on would fail
    await sleep(100);
    await file.write(data, 0, 1 << 20, 100);
    await file.close();
    first();
    await check.result();
  });

  it('fails with the write error when a write does not land, and does not wait for the helper', async () => {
    const path = join(dir, 'unlanded.bin');
    writeFileSync(path, Buffer.alloc(2 << 20));
    const check = new WrittenRangeCheck(path, 0, 2 << 20, { digest: wrongDigest, what: 'blob' });
    check.landing(1 << 20)();
    check.landing(2 << 20)(new Error('ENOSPC: no space left on device'));
    await expect(check.result()).rejects.toThrow('ENOSPC');
    check.stop();
    await vi.waitFor(() => expect(helperThreadsRunning()).toBe(0), { timeout: 3000, interval: 50 });
  });
});

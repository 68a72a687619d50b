import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { TarFileSink } from '../../../src-main/core/archive/content-sink';

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

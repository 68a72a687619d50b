import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readTar, tarEntry, tarEnd, type TarEntry } from '../../../src-main/core/archive/tar';
import { blocks, buildTar, collect, rawHeader } from '../../support/archive-fixtures';

type ReadBack = Omit<TarEntry, 'body'> & { data: Buffer };

async function readAll(tar: Buffer, options = {}, chunkSize = 0): Promise<ReadBack[]> {
  const input = chunkSize > 0 ? Readable.from(splitEvery(tar, chunkSize)) : Readable.from([tar]);
  const out: ReadBack[] = [];
  for await (const { body, ...entry } of readTar(input, options)) out.push({ ...entry, data: await collect(body as AsyncIterable<Buffer>) });
  return out;
}

function* splitEvery(data: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function errorOf(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('expected a failure');
}

describe('tar round trips', () => {
  it('writes and reads files, directories and links with deterministic headers', async () => {
    const payload = randomBytes(5000);
    const tar = await buildTar([
      { path: 'dir', type: 'directory' },
      { path: 'dir/file.bin', data: payload, mode: 0o600, mtime: 1_700_000_000 },
      { path: 'dir/link', type: 'symlink', linkname: 'file.bin' },
      { path: 'hard', type: 'hardlink', linkname: 'dir/file.bin' },
      { path: 'empty', data: '' },
    ]);
    expect(tar.length % 512).toBe(0);
    // Same input, same bytes: nothing varies with the clock or the user.
    expect(await buildTar([{ path: 'a', data: 'x' }])).toEqual(await buildTar([{ path: 'a', data: 'x' }]));
    const entries = await readAll(tar, {}, 333);
    expect(entries.map((e) => [e.path, e.type, e.size])).toEqual([
      ['dir/', 'directory', 0],
      ['dir/file.bin', 'file', 5000],
      ['dir/link', 'symlink', 0],
      ['hard', 'hardlink', 0],
      ['empty', 'file', 0],
    ]);
    expect(entries[1].data.equals(payload)).toBe(true);
    expect(entries[1].mode).toBe(0o600);
    expect(entries[1].mtime).toBe(1_700_000_000);
    expect(entries[0].mtime).toBe(0);
    expect(entries[2].linkname).toBe('file.bin');
    expect(entries.every((e) => e.uid === 0 && e.gid === 0)).toBe(true);
    // Offsets point at the data inside the tar.
    expect(tar.subarray(entries[1].dataOffset, entries[1].dataOffset + 5000).equals(payload)).toBe(true);
  });

  it('uses pax headers for long and non-ASCII names and link targets', async () => {
    const longName = `${'deep/'.repeat(60)}file-${'n'.repeat(150)}.txt`;
    const target = `${'t'.repeat(180)}`;
    const tar = await buildTar([
      { path: longName, data: 'hello' },
      { path: 'ünïcødé.txt', data: 'u' },
      { path: 'l', type: 'symlink', linkname: target },
    ]);
    const entries = await readAll(tar);
    expect(entries.map((e) => e.path)).toEqual([longName, 'ünïcødé.txt', 'l']);
    expect(entries[0].data.toString()).toBe('hello');
    expect(entries[2].linkname).toBe(target);
  });

  it('splits into ustar prefix when that suffices', async () => {
    const path = `${'p'.repeat(120)}/name.txt`;
    const tar = await buildTar([{ path, data: 'x' }]);
    expect(tar.subarray(156, 157).toString()).toBe('0'); // no pax header in front
    expect((await readAll(tar))[0].path).toBe(path);
  });

  it('reads GNU long names and base-256 sizes', async () => {
    const name = 'g'.repeat(300);
    const longHeader = rawHeader({ name: '././@LongLink', typeflag: 'L', size: name.length + 1 });
    const sizeField = Buffer.alloc(12);
    sizeField[0] = 0x80;
    sizeField.writeUInt32BE(3, 8);
    const entry = rawHeader({ name: 'short', sizeField });
    const tar = Buffer.concat([longHeader, blocks(Buffer.from(name + '\0')), entry, blocks(Buffer.from('abc')), tarEnd()]);
    const [read] = await readAll(tar);
    expect(read.path).toBe(name);
    expect(read.data.toString()).toBe('abc');
  });

  it('writes pax sizes for entries over 8 GiB without buffering them', async () => {
    const header = await collect(
      (async function* () {
        const gen = tarEntry({ path: 'big', size: 9 * 1024 ** 3 }, (async function* () {})());
        yield (await gen.next()).value as Buffer;
      })(),
    );
    expect(header.toString('latin1')).toContain(`size=${9 * 1024 ** 3}`);
  });

  it('skips bodies the reader does not consume', async () => {
    const tar = await buildTar([
      { path: 'a', data: randomBytes(10_000) },
      { path: 'b', data: 'bee' },
    ]);
    const seen: string[] = [];
    for await (const entry of readTar(Readable.from([tar]))) {
      seen.push(entry.path);
      if (entry.path === 'b') expect((await collect(entry.body)).toString()).toBe('bee');
    }
    expect(seen).toEqual(['a', 'b']);
  });

  it('fails when a body is shorter or longer than declared', async () => {
    const short = collect(tarEntry({ path: 'x', size: 10 }, Readable.from([Buffer.from('abc')])));
    expect((await errorOf(short)).message).toBe('Tar entry "x": expected 10 bytes of data, got 3');
    const long = collect(tarEntry({ path: 'x', size: 2 }, Readable.from([Buffer.from('abc')])));
    expect((await errorOf(long)).message).toBe('Tar entry "x": expected 2 bytes of data, got more');
  });
});

describe('tar reader refuses malformed input', () => {
  const cases: [string, () => Promise<Buffer>, string][] = [
    ['empty input', async () => Buffer.alloc(0), 'Not a tar archive: the file is empty'],
    ['random bytes', async () => Buffer.from('PK\x03\x04 this is a zip file, not a tar'.padEnd(1024, 'z')), 'Not a tar archive: the first header has no valid checksum'],
    ['bad checksum later', async () => Buffer.concat([await buildTar([{ path: 'a', data: 'x' }], { end: false }), rawHeader({ name: 'b', badChecksum: true })]), 'Invalid tar header at offset 1024: bad checksum'],
    ['missing end marker', async () => buildTar([{ path: 'a', data: 'x' }], { end: false }), 'Truncated tar: the archive ends at offset 1024 without an end-of-archive marker'],
    ['truncated body', async () => (await buildTar([{ path: 'a', data: randomBytes(3000) }])).subarray(0, 2000), 'Truncated tar: entry "a" ends before its data does'],
    ['non-numeric size', async () => Buffer.concat([rawHeader({ name: 'a', sizeField: Buffer.from('12x45678901\0') }), tarEnd()]), 'Invalid tar header at offset 0: size field is not a number'],
    ['negative base-256 size', async () => Buffer.concat([rawHeader({ name: 'a', sizeField: Buffer.alloc(12, 0xff) }), tarEnd()]), 'Invalid tar header at offset 0: negative size'],
    ['absurd size', async () => Buffer.concat([rawHeader({ name: 'a', sizeField: Buffer.from([0x80, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0]) }), tarEnd()]), 'Tar entry "a" claims 4503599627370496 bytes (limit 1099511627776)'],
    ['oversized pax header', async () => Buffer.concat([rawHeader({ name: 'p', typeflag: 'x', size: 2 * 1024 * 1024 }), tarEnd()]), 'Tar extended header at offset 0 is 2097152 bytes (limit 1048576)'],
    ['pax record overrun', async () => Buffer.concat([rawHeader({ name: 'p', typeflag: 'x', size: 20 }), blocks(Buffer.from('99 path=abcdefghijk\n')), rawHeader({ name: 'a' }), tarEnd()]), 'Invalid pax header at offset 0: record overruns its block'],
  ];
  for (const [name, build, message] of cases) {
    it(name, async () => {
      const error = await errorOf(readAll(await build()));
      expect(error.code).toBe('ARCHIVE_INVALID');
      expect(error.message).toBe(message);
    });
  }

  it('caps entry count, path length and depth', async () => {
    const many = await buildTar(Array.from({ length: 5 }, (_, i) => ({ path: `f${i}`, data: '' })));
    expect((await errorOf(readAll(many, { maxEntries: 4 }))).message).toBe('Tar has more than 4 entries');
    const long = await buildTar([{ path: 'x'.repeat(300), data: '' }]);
    expect((await errorOf(readAll(long, { maxPathLength: 255 }))).message).toBe('Tar entry path at offset 0 is longer than 255 bytes');
    const deep = await buildTar([{ path: 'a/'.repeat(20) + 'f', data: '' }]);
    expect((await errorOf(readAll(deep, { maxPathDepth: 10 }))).message).toBe('Tar entry path at offset 0 is deeper than 10 levels');
  });

  it('stops when cancelled', async () => {
    const tar = await buildTar([{ path: 'a', data: 'x' }, { path: 'b', data: 'y' }]);
    const controller = new AbortController();
    const reading = (async () => {
      for await (const _ of readTar(Readable.from([tar]), { signal: controller.signal })) controller.abort();
    })();
    expect((await errorOf(reading)).code).toBe('CANCELLED');
  });
});

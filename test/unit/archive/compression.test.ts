import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { detectCompression, openArchiveStream, zstdSupported } from '../../../src-main/core/archive/compression';
import { collect } from '../../support/archive-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'lighter-compression-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('compression detection', () => {
  it('recognises the magic numbers docker load knows', () => {
    expect(detectCompression(Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0]))).toBe('gzip');
    expect(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]))).toBe('zstd');
    expect(detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))).toBe('xz');
    expect(detectCompression(Buffer.from('BZh91AY'))).toBe('bzip2');
    expect(detectCompression(Buffer.from('ustar'))).toBe('none');
    expect(detectCompression(Buffer.from([0x1f, 0x8b]))).toBe('none'); // too short to be sure
  });

  it('decompresses gzip in process', async () => {
    const path = join(dir, 'x.gz');
    writeFileSync(path, gzipSync(Buffer.from('hello tar')));
    const opened = await openArchiveStream(path);
    expect(opened.compression).toBe('gzip');
    expect((await collect(opened.stream)).toString()).toBe('hello tar');
  });

  it('explains what is missing for xz and bzip2', async () => {
    const xz = join(dir, 'x.xz');
    writeFileSync(xz, Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2]));
    await expect(openArchiveStream(xz)).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: 'Cannot read a xz-compressed archive: xz is not supported; decompress it first (xz -d FILE) and open the .tar',
    });
    const bz = join(dir, 'x.bz2');
    writeFileSync(bz, Buffer.from('BZh91AY&SY'));
    await expect(openArchiveStream(bz)).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('bunzip2 FILE') });
  });

  it('reads zstd where this Node can, and names the Node version where it cannot', async () => {
    const path = join(dir, 'x.zst');
    if (zstdSupported()) {
      const zlib = (await import('node:zlib')) as unknown as { zstdCompressSync: (b: Buffer) => Buffer };
      writeFileSync(path, zlib.zstdCompressSync(Buffer.from('zstd tar')));
      expect((await collect((await openArchiveStream(path)).stream)).toString()).toBe('zstd tar');
    } else {
      writeFileSync(path, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]));
      await expect(openArchiveStream(path)).rejects.toMatchObject({
        code: 'UNSUPPORTED',
        message: `Cannot read a zstd-compressed archive: this needs Node 22.15 or newer, this is Node ${process.versions.node}`,
      });
    }
  });

  it('names missing files', async () => {
    await expect(openArchiveStream(join(dir, 'nope.tar'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

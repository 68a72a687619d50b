import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { createZstdCompressor, detectCompression, openArchiveStream, zstdSupported } from '../../../src-main/core/archive/compression';
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

  it('fails on damaged xz and bzip2 with one precise line, not UNSUPPORTED', async () => {
    const xz = join(dir, 'x.xz');
    writeFileSync(xz, Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2]));
    await expect(collect((await openArchiveStream(xz)).stream)).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
      message: expect.stringMatching(/^Corrupt xz data in archive: /),
    });
    const bz = join(dir, 'x.bz2');
    writeFileSync(bz, Buffer.from('BZh91AY&SY'));
    await expect(collect((await openArchiveStream(bz)).stream)).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
      message: 'Corrupt bzip2 data in archive: it ends early',
    });
  });

  it('reads zstd on every Node; writing it names the Node version and the app', async () => {
    const path = join(dir, 'x.zst');
    // A raw-block frame written by hand: readable without any zstd encoder.
    writeFileSync(path, Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 8, (8 << 3) | 1, 0, 0]), Buffer.from('zstd tar')]));
    const opened = await openArchiveStream(path);
    expect(opened.compression).toBe('zstd');
    expect((await collect(opened.stream)).toString()).toBe('zstd tar');
    if (zstdSupported()) expect(createZstdCompressor()).toBeDefined();
    else {
      expect(() => createZstdCompressor()).toThrow(
        expect.objectContaining({
          code: 'UNSUPPORTED',
          message: `Cannot write zstd: it needs Node 22.15 or newer and this is Node ${process.versions.node}; the Lighter app itself writes zstd, or choose gzip`,
        }),
      );
    }
  });

  it('names missing files', async () => {
    await expect(openArchiveStream(join(dir, 'nope.tar'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

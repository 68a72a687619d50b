import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { hashMemberOnThread } from '../../../src-main/core/archive/member-hash-threads';
import { defaultLimits } from '../../../src-main/core/archive/limits';
import { digestOf } from '../../support/archive-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'lighter-member-threads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file holding `member` after 1,000 bytes of something else, as a tar member sits in a tar. */
function fileWith(member: Buffer, name: string): { path: string; offset: number; size: number } {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([Buffer.alloc(1000, 7), member, Buffer.alloc(600, 9)]));
  return { path, offset: 1000, size: member.length };
}

const never = new AbortController().signal;
const plain = randomBytes(3 << 20);
const gzipped = gzipSync(plain, { level: 1 });

describe('hashing tar members on helper threads', () => {
  it('hashes a gzip member as stored and decompressed, and a plain one as stored', async () => {
    const gz = await hashMemberOnThread({ ...fileWith(gzipped, 'gz'), compression: 'gzip', limits: defaultLimits }, 'Layer gz', never);
    expect(gz).toEqual({ digest: digestOf(gzipped), decompressed: { digest: digestOf(plain), size: plain.length } });
    const none = await hashMemberOnThread({ ...fileWith(plain, 'plain'), compression: 'none', limits: defaultLimits }, 'Layer plain', never);
    expect(none).toEqual({ digest: digestOf(plain) });
  });

  it('reports corrupt gzip and decompression bombs in one line, with the stored digest still right', async () => {
    const corrupt = Buffer.from(gzipped);
    corrupt[corrupt.length - 6] ^= 0xff; // the trailer's CRC
    const bad = await hashMemberOnThread({ ...fileWith(corrupt, 'corrupt'), compression: 'gzip', limits: defaultLimits }, 'Layer corrupt', never);
    expect(bad?.digest).toBe(digestOf(corrupt));
    expect(bad?.decompressed).toMatchObject({ error: { code: 'ARCHIVE_INVALID', message: expect.stringMatching(/^Layer corrupt is not valid compressed data \(.+\)$/) } });

    const zeros = gzipSync(Buffer.alloc(40 << 20));
    const limits = { ...defaultLimits, ratioGraceBytes: 1 << 20, maxCompressionRatio: 100 };
    const bomb = await hashMemberOnThread({ ...fileWith(zeros, 'bomb'), compression: 'gzip', limits }, 'Layer bomb', never);
    expect(bomb?.decompressed).toMatchObject({ error: { code: 'ARCHIVE_INVALID', message: expect.stringMatching(/^Layer bomb expands more than 100:1 .*refusing a likely decompression bomb$/) } });
    const capped = await hashMemberOnThread({ ...fileWith(gzipped, 'capped'), compression: 'gzip', limits: { ...defaultLimits, maxDecompressedBytes: 2 << 20 } }, 'Layer capped', never);
    expect(capped?.decompressed).toMatchObject({ error: { message: 'Layer capped decompresses to more than 2.0 MiB; refusing a likely decompression bomb' } });
  });

  it('passes read errors on as they are', async () => {
    await expect(hashMemberOnThread({ path: dir, offset: 0, size: 10, compression: 'none', limits: defaultLimits }, 'Layer dir', never)).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('tells a file that ends before the member does', async () => {
    const { path, offset } = fileWith(gzipped, 'short');
    expect(await hashMemberOnThread({ path, offset, size: gzipped.length + 10_000, compression: 'gzip', limits: defaultLimits }, 'Layer short', never)).toBeUndefined();
  });

  it('cancels a job half-way, and the next job gets a fresh thread', async () => {
    const big = randomBytes(48 << 20);
    const member = fileWith(gzipSync(big, { level: 1 }), 'big');
    const openOnMember = () => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === member.path;
      } catch {
        return false;
      }
    }).length;
    const controller = new AbortController();
    const job = hashMemberOnThread({ ...member, compression: 'gzip', limits: defaultLimits }, 'Layer big', controller.signal);
    setTimeout(() => controller.abort(), 5);
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(openOnMember()).toBe(0); // the stopped thread's file is closed
    const again = await hashMemberOnThread({ ...member, compression: 'gzip', limits: defaultLimits }, 'Layer big', never);
    expect(again?.decompressed).toEqual({ digest: digestOf(big), size: big.length });
  });
});

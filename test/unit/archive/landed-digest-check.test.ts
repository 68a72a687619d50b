/**
 * A blob's digest checked from the file it was written into, on a helper thread, as its writes
 * land: only as far as every write before has landed, whatever order they land in.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { LandedDigestCheck } from '../../../src-main/core/archive/landed-digest-check';

const dir = mkdtempSync(join(tmpdir(), 'lighter-landed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1 << 20;
const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A file of zeros where the body (at offset 512) will be written piece by piece. */
function emptyFile(name: string, bodySize: number): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.alloc(512 + bodySize));
  return path;
}

function writePiece(path: string, body: Buffer, from: number, to: number): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, body, from, to - from, 512 + from);
  closeSync(fd);
}

async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await sleep(ms);
  return settled;
}

describe('LandedDigestCheck', () => {
  it('reads only what landed in body order: writes landing out of order are hashed once the gap before them is filled', async () => {
    const body = randomBytes(3 * MiB);
    const path = emptyFile('order.bin', body.length);
    const check = new LandedDigestCheck(path, 512, body.length, digestOf(body), 'blobs/sha256/x');
    const first = check.landing(MiB);
    const second = check.landing(2 * MiB);
    const third = check.landing(3 * MiB);
    // The second and third pieces land; the first is still zeros in the file. Hashing past it now
    // would take those zeros and fail.
    writePiece(path, body, MiB, 3 * MiB);
    third();
    second();
    const result = check.result();
    expect(await settledWithin(result, 300)).toBe(false);
    writePiece(path, body, 0, MiB);
    first();
    await expect(result).resolves.toBeUndefined();
  });

  it('fails with DIGEST_MISMATCH when the file holds other bytes', async () => {
    const body = randomBytes(2 * MiB);
    const path = emptyFile('wrong.bin', body.length);
    const stored = Buffer.from(body);
    stored[MiB + 7] ^= 1;
    writePiece(path, stored, 0, stored.length);
    const check = new LandedDigestCheck(path, 512, body.length, digestOf(body), 'blobs/sha256/x');
    check.landing(body.length)();
    await expect(check.result()).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
      message: `Digest mismatch for blob: expected ${digestOf(body)}, got ${digestOf(stored)}`,
    });
  });

  it('fails with the write\'s own error when a write fails, without waiting for bytes that will never land', async () => {
    const body = randomBytes(2 * MiB);
    const path = emptyFile('failed.bin', body.length);
    const check = new LandedDigestCheck(path, 512, body.length, digestOf(body), 'blobs/sha256/x');
    writePiece(path, body, 0, MiB);
    check.landing(MiB)();
    const full = Object.assign(new Error('No space left on the disk'), { code: 'NO_SPACE' });
    check.landing(2 * MiB)(full);
    await expect(check.result()).rejects.toBe(full);
  });

  it('abort stops a check that waits for writes: its result fails as cancelled', async () => {
    const body = randomBytes(2 * MiB);
    const path = emptyFile('aborted.bin', body.length);
    const check = new LandedDigestCheck(path, 512, body.length, digestOf(body), 'blobs/sha256/x');
    check.landing(MiB);
    const result = check.result();
    check.abort();
    await expect(result).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

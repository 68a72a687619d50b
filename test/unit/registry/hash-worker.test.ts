import { createHash, randomBytes } from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DigestStream } from '../../../src-main/core/image/digest';
import { WorkerDigestStream, verifyingStream, workerMinBytes } from '../../../src-main/core/registry/hash-worker';

const digestOf = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Streams `data` through `verifier` in pieces of `piece` bytes; resolves with what came out. */
async function through(verifier: Transform, data: Buffer, piece: number): Promise<Buffer> {
  const pieces = function* () {
    for (let at = 0; at < data.length; at += piece) yield data.subarray(at, at + piece);
  };
  const out: Buffer[] = [];
  await pipeline(Readable.from(pieces()), verifier, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) out.push(chunk);
  });
  return Buffer.concat(out);
}

describe('WorkerDigestStream', () => {
  // 17 MiB: the 8 MiB ring wraps twice, and pieces straddle its end and its halves.
  const data = randomBytes(17 * 1024 * 1024 + 12_345);

  it('passes every byte through unchanged and accepts the right digest', async () => {
    for (const piece of [65_536, 1_000_003, 5 << 20]) {
      const verifier = new WorkerDigestStream({ digest: digestOf(data), size: data.length });
      expect((await through(verifier, data, piece)).equals(data)).toBe(true);
      expect(verifier.bytes).toBe(data.length);
    }
  });

  it('fails with DIGEST_MISMATCH when one byte differs, before the stream ends', async () => {
    const bad = Buffer.from(data);
    bad[15_000_000] ^= 1;
    const verifier = new WorkerDigestStream({ digest: digestOf(data), size: data.length, what: 'layer x' });
    await expect(through(verifier, bad, 65_536)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH', message: expect.stringContaining('layer x') });
  });

  it('fails on a short body', async () => {
    const verifier = new WorkerDigestStream({ digest: digestOf(data), size: data.length });
    await expect(through(verifier, data.subarray(0, data.length - 1), 65_536)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH', message: expect.stringContaining('Size mismatch') });
  });

  it('hashes several streams at once without mixing them', async () => {
    const blobs = [randomBytes(3 << 20), randomBytes(5 << 20), randomBytes(2 << 20)];
    const outs = await Promise.all(blobs.map((b) => through(new WorkerDigestStream({ digest: digestOf(b), size: b.length }), b, 100_000)));
    outs.forEach((out, i) => expect(out.equals(blobs[i])).toBe(true));
  });

  it('can be destroyed midway, and later streams still work', async () => {
    const verifier = new WorkerDigestStream({ digest: digestOf(data), size: data.length });
    verifier.write(data.subarray(0, 6 << 20));
    verifier.destroy();
    const next = new WorkerDigestStream({ digest: digestOf(data), size: data.length });
    expect((await through(next, data, 1 << 20)).equals(data)).toBe(true);
  });

  it('is used only for large blobs hashed from their start', () => {
    const big = { digest: digestOf(data), size: workerMinBytes };
    expect(verifyingStream(big)).toBeInstanceOf(WorkerDigestStream);
    expect(verifyingStream({ ...big, size: workerMinBytes - 1 })).toBeInstanceOf(DigestStream);
    expect(verifyingStream(big, { hash: createHash('sha256'), bytes: 10 })).toBeInstanceOf(DigestStream);
  });
});

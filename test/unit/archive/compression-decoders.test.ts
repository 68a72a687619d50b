/**
 * The in-process zstd, xz and bzip2 decoders against data made by the real xz, bzip2 and zstd tools
 * (Debian's xz-utils, bzip2, zstd): round trips, damaged input, backpressure and memory.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable, Writable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createDecompressor, DecompressionGuard, type Compression } from '../../../src-main/core/archive/compression';
import { createZstdDecoder } from '../../../src-main/core/archive/decoders';
import { resolveLimits } from '../../../src-main/core/archive/limits';

type Kind = Exclude<Compression, 'none' | 'gzip'>;
const tools: Record<Kind, { tool: string; args: string[]; pkg: string }> = {
  zstd: { tool: 'zstd', args: ['-q', '-c', '-3'], pkg: 'zstd' },
  xz: { tool: 'xz', args: ['-c', '-3'], pkg: 'xz-utils' },
  bzip2: { tool: 'bzip2', args: ['-c', '-1'], pkg: 'bzip2' },
};

function hasTool(kind: Kind): boolean {
  const found = spawnSync(tools[kind].tool, ['--version']).status === 0;
  if (!found) {
    if (process.env.CI === 'true') throw new Error(`${tools[kind].tool} is not installed (Debian package ${tools[kind].pkg}): decoder tests cannot run in CI`);
    console.warn(`SKIPPED: ${kind} decoder tests need the ${tools[kind].tool} tool (Debian package ${tools[kind].pkg}).`);
  }
  return found;
}

function compress(kind: Kind, data: Buffer, extra: string[] = []): Buffer {
  const result = spawnSync(tools[kind].tool, [...tools[kind].args, ...extra], { input: data, maxBuffer: 512 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${kind} failed: ${result.stderr}`);
  return result.stdout;
}

/** Text-like data: compresses like a real tar, unlike random bytes or zeros. */
function textLike(size: number, seed = 1): Buffer {
  const words = ['layer', 'usr', 'lib', 'bin', 'etc', 'config', 'docker', 'image', 'manifest', 'sha256', '\n', 'x86_64', 'linux'];
  const out = Buffer.alloc(size);
  let state = seed;
  let at = 0;
  while (at < size) {
    state = (state * 1103515245 + 12345) >>> 0;
    at += out.write(words[state % words.length] + ((state >> 8) % 7 === 0 ? '/' : ' '), at);
  }
  return out;
}

async function decode(decoder: Duplex, input: Buffer, chunkSize = 64 * 1024): Promise<Buffer> {
  const parts: Buffer[] = [];
  const chunks = function* () {
    for (let at = 0; at < input.length; at += chunkSize) yield input.subarray(at, at + chunkSize);
  };
  await pipeline(Readable.from(chunks()), decoder, new Writable({ write: (c: Buffer, _e, cb) => (parts.push(c), cb()) }));
  return Buffer.concat(parts);
}

const kinds = (['zstd', 'xz', 'bzip2'] as const).filter(hasTool);
const sample = Buffer.concat([textLike(1_500_000), randomBytes(300_000), Buffer.alloc(500_000)]);

/** Streams packed data through a decoder and the bomb guard; returns MB/s and peak RSS growth. */
async function measure(kind: Kind, packed: Buffer, expected: number): Promise<{ mbPerSecond: number; rssGrowth: number }> {
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  let compressed = 0;
  let out = 0;
  const started = performance.now();
  const chunks = function* () {
    for (let at = 0; at < packed.length; at += 1 << 20) {
      compressed += Math.min(1 << 20, packed.length - at);
      yield packed.subarray(at, at + (1 << 20));
    }
  };
  const guard = new DecompressionGuard(() => compressed, resolveLimits(), `The ${kind} archive`);
  await pipeline(Readable.from(chunks()), createDecompressor(kind), guard, new Writable({ write: (c: Buffer, _e, cb) => ((out += c.length), cb()) }));
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  expect(out).toBe(expected);
  return { mbPerSecond: out / 1e6 / seconds, rssGrowth: peak - before };
}

describe.each(kinds)('%s decoder memory', (kind) => {
  const size = 100 * 1024 * 1024;

  it('streams 100 MiB with RSS growth under 150 MiB', async () => {
    const block = Buffer.concat([textLike(3 * 1024 * 1024, 11), randomBytes(1024 * 1024)]);
    const packedBlock = compress(kind, block);
    // Concatenated streams decode to the concatenated data: a large input without a slow compression.
    const packed = Buffer.concat(Array(size / block.length).fill(packedBlock));
    const { mbPerSecond, rssGrowth } = await measure(kind, packed, size);
    console.log(`${kind}: ${mbPerSecond.toFixed(1)} MB/s, RSS growth ${(rssGrowth / 1048576).toFixed(0)} MiB, RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
    expect(rssGrowth).toBeLessThan(150 * 1024 * 1024);
  }, 20_000);
});

describe.each(kinds)('%s decoder', (kind) => {
  const packed = compress(kind, sample);

  it('decodes what the real tool wrote, in big and in tiny chunks', async () => {
    expect((await decode(createDecompressor(kind), packed)).equals(sample)).toBe(true);
    expect((await decode(createDecompressor(kind), packed, 777)).equals(sample)).toBe(true);
  });

  it('decodes concatenated streams as one', async () => {
    const other = textLike(100_000, 7);
    const both = Buffer.concat([packed, compress(kind, other)]);
    expect((await decode(createDecompressor(kind), both)).equals(Buffer.concat([sample, other]))).toBe(true);
  });

  it('fails on truncated data with one precise line', async () => {
    const truncated = packed.subarray(0, Math.floor(packed.length / 2));
    await expect(decode(createDecompressor(kind, 'archive'), truncated)).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
      message: `Corrupt ${kind} data in archive: it ends early`,
    });
  });

  it('fails on garbage after a valid header, never hangs', async () => {
    const garbage = Buffer.concat([packed.subarray(0, 32), randomBytes(200_000)]);
    const error = await decode(createDecompressor(kind, 'layer'), garbage).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ARCHIVE_INVALID', message: expect.stringMatching(new RegExp(`^Corrupt ${kind} data in layer: \\S`)) });
    expect((error as Error).message).not.toContain('\n');
  });

  it('applies backpressure: with nobody reading, input stops being taken', async () => {
    // 64 concatenated streams of 1 MiB each: a large output without a slow compression, and
    // small blocks, so the decoder's bounded buffer (not one huge block) is what stops it.
    const packed = Buffer.concat(Array(64).fill(compress(kind, textLike(1024 * 1024, 5))));
    const decoder = createDecompressor(kind);
    let taken = 0;
    const source = Readable.from(
      (function* () {
        for (let at = 0; at < packed.length; at += 1024) {
          taken += 1024;
          yield packed.subarray(at, at + 1024);
        }
      })(),
    );
    source.pipe(decoder);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Only a bounded amount waits in the decoder: far from the 64 MiB the input stands for.
    expect(decoder.readableLength).toBeLessThan(16 * 1024 * 1024);
    console.log(`${kind}: ${taken} of ${packed.length} compressed bytes taken, ${decoder.readableLength} bytes waiting`);
    expect(taken).toBeLessThan(packed.length / 2);
    const takenWhilePaused = taken;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(taken).toBe(takenWhilePaused);
    source.destroy();
    decoder.destroy();
  });
});

describe.runIf(kinds.includes('zstd'))('zstd specifics', () => {
  it('the portable decoder matches the data when Node has a native one too', async () => {
    const data = textLike(2_000_000, 3);
    expect((await decode(createZstdDecoder('archive', { forcePortable: true }), compress('zstd', data, ['-19']))).equals(data)).toBe(true);
  });

  it('refuses a frame asking for a window over 128 MiB', async () => {
    // Frame header: magic, no flags, window descriptor for 1 GiB, then one raw last block of 4 bytes.
    const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 20 << 3, (4 << 3) | 1, 0, 0, 1, 2, 3, 4]);
    await expect(decode(createZstdDecoder('archive', { forcePortable: true }), frame)).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
      message: 'zstd data in archive needs a 1.0 GiB window; windows over 128.0 MiB are refused',
    });
  });

  it('refuses a burst of oversized RLE blocks before it fills memory', async () => {
    // 2 MiB RLE blocks of 4 bytes each (512k:1) in an 8 MiB window: beyond what any real encoder writes.
    const block = Buffer.from([((0x1fffff << 3) | (1 << 1)) & 0xff, (0x1fffff >> 5) & 0xff, (0x1fffff >> 13) & 0xff, 0x41]);
    const frame = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 13 << 3]), Buffer.concat(Array(2000).fill(block))]);
    await expect(decode(createZstdDecoder('archive', { forcePortable: true }), frame)).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
      message: expect.stringContaining('refusing a likely decompression bomb'),
    });
  });
});


describe.skipIf(!kinds.includes('xz'))('xz decoders side by side', () => {
  it('decode two streams at once (an xz layer inside an xz archive) and survive an abandoned one', async () => {
    const a = textLike(2_000_000, 3);
    const b = textLike(2_000_000, 5);
    const abandoned = createDecompressor('xz');
    abandoned.write(compress('xz', a).subarray(0, 4096));
    // Interleaved small chunks: each decoder is mid-stream while the other works.
    const [outA, outB] = await Promise.all([decode(createDecompressor('xz'), compress('xz', a), 1000), decode(createDecompressor('xz'), compress('xz', b), 1300)]);
    expect(outA.equals(a)).toBe(true);
    expect(outB.equals(b)).toBe(true);
    abandoned.destroy();
  }, 10_000);
});

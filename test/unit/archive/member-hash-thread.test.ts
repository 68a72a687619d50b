/**
 * Members hashed on the helper thread give what the in-thread hashers give — the same digests, and
 * for bad gzip data the same errors, word for word — reading the member straight from the file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DecompressedHasher } from '../../../src-main/core/archive/content-hasher';
import { resolveLimits, type ArchiveLimits } from '../../../src-main/core/archive/limits';
import { hashMemberOffThread, helperThreadsRunning, MemberGrowth, warmHelperThreads } from '../../../src-main/core/archive/member-hash-thread';

const dir = mkdtempSync(join(tmpdir(), 'lighter-member-hash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const never = new AbortController().signal;

/** A file with `member` between 1000 bytes of junk on each side, as a member sits inside a tar. */
function fileWith(member: Buffer): { path: string; offset: number; size: number } {
  const path = join(dir, `${randomBytes(4).toString('hex')}.tar`);
  writeFileSync(path, Buffer.concat([randomBytes(1000), member, randomBytes(1000)]));
  return { path, offset: 1000, size: member.length };
}

/** What the in-thread hasher makes of the same bytes. */
async function inThread(data: Buffer, limits: ArchiveLimits, what: string) {
  const hasher = new DecompressedHasher('gzip', limits, what);
  for (let at = 0; at < data.length; at += 1 << 20) await hasher.write(data.subarray(at, at + (1 << 20)));
  return hasher.finish();
}

describe('hashMemberOffThread', () => {
  it('hashes a gzip member as stored and inflated, like the in-thread hasher', async () => {
    const plain = randomBytes(3 << 20);
    const gzip = gzipSync(plain, { level: 1 });
    const member = fileWith(gzip);
    const hashes = await hashMemberOffThread({ ...member, gzip: true }, resolveLimits(), 'Layer x', never);
    expect(hashes).toEqual({ digest: sha(gzip), size: gzip.length, decompressed: { digest: sha(plain), size: plain.length } });
    expect(hashes.decompressed).toEqual(await inThread(gzip, resolveLimits(), 'Layer x'));
  });

  it('inflates several gzip members in a row, zero padding after them, and data that expands several times per read', async () => {
    const letters = Buffer.from(randomBytes(6 << 20).map((b) => 97 + (b & 3))); // ≈4:1, several output buffers per 1 MiB read
    const parts = [gzipSync(letters.subarray(0, 4 << 20)), gzipSync(letters.subarray(4 << 20)), Buffer.alloc(3000)];
    const gzip = Buffer.concat(parts);
    const hashes = await hashMemberOffThread({ ...fileWith(gzip), gzip: true }, resolveLimits(), 'Layer m', never);
    expect(hashes.decompressed).toEqual({ digest: sha(letters), size: letters.length });
    expect(hashes.decompressed).toEqual(await inThread(gzip, resolveLimits(), 'Layer m'));
  });

  it('hashes a plain member as stored only, and several at once', async () => {
    const members = [randomBytes(2 << 20), randomBytes(1 << 20), randomBytes(5)];
    const results = await Promise.all(members.map((m) => hashMemberOffThread({ ...fileWith(m), gzip: false }, resolveLimits(), 'Layer x', never)));
    expect(results).toEqual(members.map((m) => ({ digest: sha(m), size: m.length })));
  });

  it('corrupt gzip: the stored digest still, and the same ARCHIVE_INVALID as in-thread for the inflated side', async () => {
    const gzip = gzipSync(Buffer.alloc(4 << 20, 7));
    gzip.fill(0xff, 40, 400);
    const hashes = await hashMemberOffThread({ ...fileWith(gzip), gzip: true }, resolveLimits(), 'Layer y', never);
    expect(hashes.digest).toBe(sha(gzip));
    const expected = await inThread(gzip, resolveLimits(), 'Layer y');
    expect(expected).toMatchObject({ error: { code: 'ARCHIVE_INVALID' } });
    expect(hashes.decompressed).toEqual(expected);
    expect((hashes.decompressed as { error: Error }).error.message).toMatch(/^Layer y is not valid compressed data/);
  });

  it('a gzip member cut short fails the inflated side as in-thread', async () => {
    const gzip = gzipSync(randomBytes(2 << 20)).subarray(0, 1 << 20);
    const hashes = await hashMemberOffThread({ ...fileWith(gzip), gzip: true }, resolveLimits(), 'Layer z', never);
    expect(hashes.decompressed).toEqual(await inThread(gzip, resolveLimits(), 'Layer z'));
    expect((hashes.decompressed as { error: Error }).error.message).toMatch(/unexpected end of file/);
  });

  it('a decompression bomb is refused under the caps given, with the in-thread message', async () => {
    const bomb = gzipSync(Buffer.alloc(64 << 20));
    const limits = resolveLimits({ ratioGraceBytes: 1 << 20, maxCompressionRatio: 100 });
    const hashes = await hashMemberOffThread({ ...fileWith(bomb), gzip: true }, limits, 'Layer b', never);
    const error = (hashes.decompressed as { error: Error }).error;
    expect(error).toMatchObject({ code: 'ARCHIVE_INVALID' });
    expect(error.message).toMatch(/^Layer b expands more than 100:1 \(.* → .*\); refusing a likely decompression bomb$/);
    const capped = await hashMemberOffThread({ ...fileWith(bomb), gzip: true }, resolveLimits({ maxDecompressedBytes: 8 << 20 }), 'Layer b', never);
    expect((capped.decompressed as { error: Error }).error.message).toBe('Layer b decompresses to more than 8.0 MiB; refusing a likely decompression bomb');
    expect(capped.digest).toBe(sha(bomb));
  });

  it('a file that got shorter gives the bytes found; a missing file fails with its own error', async () => {
    const member = fileWith(randomBytes(2 << 20));
    truncateSync(member.path, member.offset + 1234);
    const hashes = await hashMemberOffThread({ ...member, gzip: false }, resolveLimits(), 'Layer s', never);
    expect(hashes.size).toBe(1234);
    await expect(hashMemberOffThread({ ...member, path: join(dir, 'gone.tar'), gzip: false }, resolveLimits(), 'Layer s', never)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('hashes a member still being written only as far as it has grown', async () => {
    const plain = randomBytes(5 << 20);
    const gzip = gzipSync(plain, { level: 1 });
    // The file holds zeros where the member's second half will go: read too early, they would count.
    const member = fileWith(Buffer.concat([gzip.subarray(0, 2 << 20), Buffer.alloc(gzip.length - (2 << 20))]));
    const growth = new MemberGrowth();
    growth.grow(2 << 20);
    const hashing = hashMemberOffThread({ ...member, gzip: true, growth }, resolveLimits(), 'Layer g', never);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const fd = openSync(member.path, 'r+');
    writeSync(fd, gzip, 2 << 20, gzip.length - (2 << 20), member.offset + (2 << 20));
    closeSync(fd);
    growth.grow(3 << 20);
    growth.grow(gzip.length);
    expect(await hashing).toEqual({ digest: sha(gzip), size: gzip.length, decompressed: { digest: sha(plain), size: plain.length } });

    // Waiting for more that never comes: a cancel still ends it.
    const stop = new AbortController();
    const waiting = hashMemberOffThread({ ...fileWith(randomBytes(3 << 20)), gzip: false, growth: new MemberGrowth() }, resolveLimits(), 'Layer w', stop.signal);
    setTimeout(() => stop.abort(), 50);
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  // Linux only: there a thread can lower its own priority (elsewhere it would be the whole process's).
  it.runIf(process.platform === 'linux')('a member still being written is hashed at nice 10, members of a complete file at the lowest priority', async () => {
    /** How many of this process's threads run at this nice level (the 19th field of their stat). */
    const threadsAt = (nice: number) =>
      readdirSync('/proc/self/task').filter((tid) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16] === String(nice);
      }).length;
    await vi.waitFor(() => expect(helperThreadsRunning()).toBe(0), { timeout: 3000, interval: 50 });
    // A thread told to end may take a moment to leave the process.
    await vi.waitFor(() => expect(threadsAt(10) + threadsAt(19)).toBe(0), { timeout: 3000, interval: 20 });
    const data = randomBytes(3 << 20);
    const growth = new MemberGrowth();
    const trailing = hashMemberOffThread({ ...fileWith(data), gzip: false, growth }, resolveLimits(), 'Layer t', never);
    await vi.waitFor(() => expect(threadsAt(10)).toBe(1), { timeout: 3000, interval: 20 });
    expect(threadsAt(19)).toBe(0);
    // A complete file's member meanwhile: on a thread of its own, at nice 19.
    await expect(hashMemberOffThread({ ...fileWith(data), gzip: false }, resolveLimits(), 'Layer n', never)).resolves.toMatchObject({ digest: sha(data) });
    expect(helperThreadsRunning()).toBe(2);
    expect(threadsAt(10)).toBe(1);
    expect(threadsAt(19)).toBe(1);
    growth.grow(data.length);
    await expect(trailing).resolves.toMatchObject({ digest: sha(data) });
  });

  it('a cancelled signal stops it with CANCELLED', async () => {
    const member = fileWith(gzipSync(randomBytes(16 << 20), { level: 1 }));
    const stop = new AbortController();
    const hashing = hashMemberOffThread({ ...member, gzip: true }, resolveLimits(), 'Layer c', stop.signal);
    stop.abort();
    await expect(hashing).rejects.toMatchObject({ code: 'CANCELLED' });
    stop.abort();
    await expect(hashMemberOffThread({ ...member, gzip: true }, resolveLimits(), 'Layer c', stop.signal)).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('a helper thread ends once idle, giving its memory back, and a new one starts for the next member', async () => {
    const data = randomBytes(300_000);
    const member = fileWith(data);
    await expect(hashMemberOffThread({ ...member, gzip: false }, resolveLimits(), 'Layer d', never)).resolves.toMatchObject({ digest: sha(data) });
    expect(helperThreadsRunning()).toBeGreaterThan(0);
    await vi.waitFor(() => expect(helperThreadsRunning()).toBe(0), { timeout: 3000, interval: 50 });
    await expect(hashMemberOffThread({ ...member, gzip: false }, resolveLimits(), 'Layer d', never)).resolves.toMatchObject({ digest: sha(data) });
  });

  it('a thread ended when idle exits without failing the members its successor took meanwhile', async () => {
    const data = randomBytes(300_000);
    const member = fileWith(data);
    await hashMemberOffThread({ ...member, gzip: false }, resolveLimits(), 'Layer f', never);
    // Right after the idle thread was told to end, before it has exited, the next member comes.
    while (helperThreadsRunning() > 0) await new Promise((resolve) => setImmediate(resolve));
    const next = hashMemberOffThread({ ...member, gzip: false }, resolveLimits(), 'Layer f', never);
    await expect(next).resolves.toMatchObject({ digest: sha(data) });
  });

  it('threads warmed ahead take the members that come, and end when none comes', async () => {
    await vi.waitFor(() => expect(helperThreadsRunning()).toBe(0), { timeout: 3000, interval: 50 });
    const holding = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
    const before = holding();
    warmHelperThreads('whole-file', 300);
    expect(helperThreadsRunning()).toBe(2);
    // Waiting threads do not hold the process open (a CLI run would otherwise last the whole grace).
    expect(holding()).toBe(before);
    const data = randomBytes(400_000);
    await expect(hashMemberOffThread({ ...fileWith(data), gzip: false }, resolveLimits(), 'Layer w', never)).resolves.toMatchObject({ digest: sha(data) });
    expect(helperThreadsRunning()).toBe(2); // the member went to a warmed thread: none started for it
    warmHelperThreads('behind-writes', 300);
    expect(helperThreadsRunning()).toBe(3);
    await vi.waitFor(() => expect(helperThreadsRunning()).toBe(0), { timeout: 3000, interval: 50 });
  });
});

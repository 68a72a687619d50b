/**
 * Connections for large bodies read large pieces into shared slabs: the pieces must stay
 * what was sent however long they are kept, and pause() must still stop the reading.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connectForBodies } from '../../../src-main/core/http/connect';
import { giveBack, slabsReused } from '../../../src-main/core/http/read-slabs';

let server: Server | undefined;
const dir = mkdtempSync(join(tmpdir(), 'lighter-connect-'));
afterEach(async () => {
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A server on a unix socket that sends `data` to whoever connects, then closes. */
async function sending(data: Buffer): Promise<string> {
  const path = join(dir, `${randomBytes(4).toString('hex')}.sock`);
  server = createServer((socket) => socket.end(data));
  await new Promise<void>((resolve) => server!.listen(path, resolve));
  return path;
}

describe('connectForBodies', () => {
  it('delivers every byte as sent, in pieces larger than Node reads, kept intact however long they are held', async () => {
    const data = randomBytes(24 << 20);
    const socket = connectForBodies({ path: await sending(data) });
    const pieces: Buffer[] = [];
    socket.on('data', (piece: Buffer) => pieces.push(piece));
    await new Promise((resolve) => socket.once('end', resolve));
    expect(Buffer.concat(pieces).equals(data)).toBe(true);
    expect(Math.max(...pieces.map((p) => p.length))).toBeGreaterThan(64 * 1024);
  });

  it('reads into the memory of pieces given back, and every byte still arrives as sent', async () => {
    const data = randomBytes(24 << 20);
    const socket = connectForBodies({ path: await sending(data) });
    const copies: Buffer[] = [];
    const reusedBefore = slabsReused();
    socket.on('data', (piece: Buffer) => {
      copies.push(Buffer.from(piece));
      giveBack(piece);
    });
    await new Promise((resolve) => socket.once('close', resolve));
    expect(Buffer.concat(copies).equals(data)).toBe(true);
    // 24 MiB through 512 KiB slabs: nearly every slab after the first came back and was read into again.
    expect(slabsReused() - reusedBefore).toBeGreaterThan(40);
  });

  it('pause() stops the reading until resume()', async () => {
    const data = randomBytes(16 << 20);
    const socket = connectForBodies({ path: await sending(data) });
    let received = 0;
    socket.on('data', (piece: Buffer) => {
      received += piece.length;
      if (received >= 1 << 20 && received - piece.length < 1 << 20) socket.pause();
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const whilePaused = received;
    expect(whilePaused).toBeGreaterThanOrEqual(1 << 20);
    expect(whilePaused).toBeLessThan(data.length);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toBe(whilePaused);
    socket.resume();
    await new Promise((resolve) => socket.once('end', resolve));
    expect(received).toBe(data.length);
  });
});

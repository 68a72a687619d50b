/**
 * The raw exchange with an engine, against a fake engine on a unix socket: an engine that goes
 * away in the middle of a long answer (a save) fails the body with the engine's error, never with
 * one that blames the data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineEndpoint } from '../../../src-main/core/engine/connect';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EngineConnection } from '../../../src-main/core/transport/engine-http';

const dir = mkdtempSync(join(tmpdir(), 'lighter-engine-http-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/**
 * An engine that starts an answer (chunked, or announcing 1 MiB by Content-Length), sends 16 KiB of
 * it, then does `leave` to the connection.
 */
async function leavingEngine(leave: (socket: Socket) => void, over: 'unix' | 'tcp' = 'unix', framing: 'chunked' | 'length' = 'chunked'): Promise<EngineEndpoint> {
  server = createServer((socket) => {
    socket.once('data', () => {
      const data = 'x'.repeat(0x4000);
      if (framing === 'chunked') {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n');
        socket.write(`4000\r\n${data}\r\n`, () => setTimeout(() => leave(socket), 20));
      } else {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nContent-Length: ${1 << 20}\r\n\r\n`);
        socket.write(data, () => setTimeout(() => leave(socket), 20));
      }
    });
  });
  if (over === 'tcp') {
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return { protocol: 'http', host: '127.0.0.1', port: (server!.address() as AddressInfo).port };
  }
  const socketPath = join(dir, `engine-${Date.now()}.sock`);
  await new Promise<void>((r) => server!.listen(socketPath, r));
  return { socketPath };
}

async function readBody(endpoint: EngineEndpoint): Promise<{ bytes: number; error: unknown }> {
  const connection = (await EngineConnection.open(endpoint))!;
  connection.send('GET', '/images/get?names=x');
  const { status, body } = await connection.response();
  expect(status).toBe(200);
  let bytes = 0;
  try {
    for await (const chunk of body) bytes += (chunk as Buffer).length;
  } catch (error) {
    return { bytes, error };
  }
  return { bytes, error: undefined };
}

describe('an engine that goes away in the middle of its answer', () => {
  it('closing the connection early: ENGINE_UNREACHABLE, after the bytes that did come', async () => {
    const { bytes, error } = await readBody(await leavingEngine((socket) => socket.end()));
    expect(bytes).toBe(0x4000);
    expect(error).toMatchObject({ code: 'ENGINE_UNREACHABLE', message: 'The engine stopped answering: it closed the connection in the middle of its answer' });
  });

  it('a body of announced length cut short: ENGINE_UNREACHABLE too', async () => {
    const { bytes, error } = await readBody(await leavingEngine((socket) => socket.end(), 'unix', 'length'));
    expect(bytes).toBe(0x4000);
    expect(error).toMatchObject({ code: 'ENGINE_UNREACHABLE' });
  });

  it('resetting the connection (an engine on TCP): ENGINE_UNREACHABLE naming the reset', async () => {
    const { error } = await readBody(await leavingEngine((socket) => socket.resetAndDestroy(), 'tcp'));
    expect(error).toMatchObject({ code: 'ENGINE_UNREACHABLE', message: expect.stringMatching(/^The engine stopped answering: .*ECONNRESET/) });
  });
});

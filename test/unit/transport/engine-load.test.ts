/**
 * The load request spoken over the engine's socket, against a fake engine on a unix socket: what
 * reaches it, and how each kind of answer (success, an error line with status 200, an early
 * refusal, an HTTP error) comes back. A real engine judges the same in test/integration/engine-load.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { EngineAccess } from '../../../src-main/core/engine/connect';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { LighterError } from '../../../src-main/core/errors';
import { releaseSpentMemory } from '../../../src-main/core/spent-memory';
import { loadIntoEngine, LoadReplyLines } from '../../../src-main/core/transport/engine-load';
import { ChunkedDecoder } from '../../../src-main/core/http/chunked';

vi.mock('../../../src-main/core/spent-memory', () => ({ releaseSpentMemory: vi.fn() }));

const dir = mkdtempSync(join(tmpdir(), 'lighter-engine-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Received {
  head: string;
  body: Buffer;
  /** The client closed before the announced body was complete. */
  cut: boolean;
}

type Answer = (socket: Socket, received: Received) => void;

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});

/**
 * A fake engine: reads one request and answers with `answer` once `answerAfter` body bytes came
 * (the whole body by default). Resolves what it received when the connection closes.
 */
async function fakeEngine(answer: Answer, answerAfter?: number): Promise<{ access: EngineAccess; received: Promise<Received> }> {
  const socketPath = join(dir, `engine-${servers.length}-${Date.now()}.sock`);
  let resolveReceived!: (r: Received) => void;
  const received = new Promise<Received>((r) => (resolveReceived = r));
  const server = createServer((socket) => {
    let raw = Buffer.alloc(0);
    let head: string | undefined;
    const parts: Buffer[] = [];
    let bodyBytes = 0;
    let expected = Infinity;
    let decoder: ChunkedDecoder | undefined;
    let answered = false;
    const state = (): Received => ({ head: head ?? '', body: Buffer.concat(parts), cut: decoder ? !decoder.done : bodyBytes < expected });
    const take = (data: Buffer) => {
      const pieces = decoder ? decoder.decode(data) : [data];
      for (const p of pieces) {
        parts.push(p);
        bodyBytes += p.length;
      }
      const complete = decoder ? decoder.done : bodyBytes >= expected;
      if (!answered && (complete || bodyBytes >= (answerAfter ?? Infinity))) {
        answered = true;
        answer(socket, state());
      }
    };
    socket.on('data', (data: Buffer) => {
      if (head !== undefined) return take(data);
      raw = Buffer.concat([raw, data]);
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return;
      head = raw.toString('latin1', 0, end);
      const length = /content-length: (\d+)/i.exec(head);
      if (length) expected = Number(length[1]);
      if (/transfer-encoding: chunked/i.test(head)) decoder = new ChunkedDecoder((detail) => new Error(detail));
      take(raw.subarray(end + 4));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolveReceived(state()));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(socketPath, r));
  return { access: { endpoint: { socketPath, version: 'v1.41' } } as EngineAccess, received };
}

/** A 200 answer with these JSON lines, chunked as the engine sends it. */
function replyLines(...lines: object[]): Answer {
  return (socket) => {
    const text = lines.map((l) => JSON.stringify(l) + '\n').join('');
    socket.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`);
  };
}

const loaded = replyLines({ stream: 'Loaded image: judge/fake:1\n' });
const body = randomBytes(3 * 1024 * 1024 + 123);
const chunks = (data: Buffer) => Readable.from([data.subarray(0, 1 << 20), data.subarray(1 << 20, 2 << 20), data.subarray(2 << 20)]);

describe('loadIntoEngine over the engine socket', () => {
  it('sends the body as it is, chunked as the docker CLI sends it, under the API version, and resolves on a clean reply', async () => {
    // Answered only once the body is whole: by then the upload's buffers were given back, once.
    const freedBeforeAnswer: boolean[] = [];
    const engine = await fakeEngine((socket, got) => {
      freedBeforeAnswer.push(vi.mocked(releaseSpentMemory).mock.calls.length === 1);
      loaded(socket, got);
    });
    vi.mocked(releaseSpentMemory).mockClear();
    let counted = 0;
    await loadIntoEngine(engine.access, chunks(body), { size: body.length, onBytes: (n) => (counted += n) });
    expect(freedBeforeAnswer).toEqual([true]);
    expect(releaseSpentMemory).toHaveBeenCalledTimes(1);
    const received = await engine.received;
    expect(received.head).toMatch(/^POST \/v1\.41\/images\/load\?quiet=1 HTTP\/1\.1\r\n/);
    expect(received.head).toMatch(/Transfer-Encoding: chunked/i);
    expect(received.head).not.toMatch(/Content-Length/i);
    expect(received.cut).toBe(false);
    expect(received.body.equals(body)).toBe(true);
    expect(counted).toBe(body.length);
  });

  it('sends a body of unknown length the same way', async () => {
    const engine = await fakeEngine(loaded);
    await loadIntoEngine(engine.access, chunks(body));
    const received = await engine.received;
    expect(received.head).toMatch(/Transfer-Encoding: chunked/i);
    expect(received.cut).toBe(false);
    expect(received.body.equals(body)).toBe(true);
  });

  it('a body longer or shorter than announced fails, and the engine never gets the end of it', async () => {
    for (const size of [body.length - 1, body.length + 1]) {
      const engine = await fakeEngine(loaded, Infinity);
      const error = await loadIntoEngine(engine.access, chunks(body), { size }).catch((e: unknown) => e);
      expect((error as LighterError).message).toBe(`The image tar held ${body.length} bytes where ${size} were announced`);
      const received = await engine.received;
      expect(received.cut).toBe(true);
      expect(received.body.equals(body)).toBe(true);
    }
  });

  it('an error line in a 200 reply fails the load with the engine\'s message', async () => {
    const engine = await fakeEngine(replyLines({ errorDetail: { message: 'invalid diffID for layer 0' }, error: 'invalid diffID for layer 0' }));
    const error = await loadIntoEngine(engine.access, chunks(body), { size: body.length }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LighterError);
    expect((error as LighterError).code).toBe('ENGINE_ERROR');
    expect((error as LighterError).message).toBe('The engine refused the image: invalid diffID for layer 0');
  });

  it('a refusal before the body is complete stops the upload and is what is reported', async () => {
    const engine = await fakeEngine(replyLines({ error: 'unexpected EOF in manifest' }), 64 * 1024);
    const big = randomBytes(16 * 1024 * 1024);
    const error = await loadIntoEngine(engine.access, Readable.from([big]), { size: big.length }).catch((e: unknown) => e);
    expect((error as LighterError).message).toBe('The engine refused the image: unexpected EOF in manifest');
    expect((await engine.received).cut).toBe(true);
  });

  it('an HTTP error status is ENGINE_ERROR with the engine\'s message', async () => {
    const engine = await fakeEngine((socket) => {
      const text = '{"message":"no space left on device"}';
      socket.end(`HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
    });
    const error = await loadIntoEngine(engine.access, chunks(body), { size: body.length }).catch((e: unknown) => e);
    expect((error as LighterError).code).toBe('ENGINE_ERROR');
    expect((error as LighterError).message).toBe('no space left on device');
  });

  it('a body that fails part way (the file changed) is reported as such; the engine never gets the whole tar', async () => {
    const engine = await fakeEngine(loaded);
    const failing = new Readable({ read() {} });
    failing.push(body.subarray(0, 1 << 20));
    setTimeout(() => failing.destroy(new LighterError('DIGEST_MISMATCH', 'the file changed after it was verified')), 20);
    const error = await loadIntoEngine(engine.access, failing, { size: body.length }).catch((e: unknown) => e);
    expect((error as LighterError).code).toBe('DIGEST_MISMATCH');
    const received = await engine.received;
    expect(received.cut).toBe(true);
    expect(received.body.length).toBeLessThan(body.length);
  });

  it('cancelling mid-upload closes the connection before the tar is complete', async () => {
    const engine = await fakeEngine(loaded);
    const controller = new AbortController();
    const slow = new Readable({ read() {} });
    slow.push(body.subarray(0, 1 << 20));
    const load = loadIntoEngine(engine.access, slow, { size: body.length, signal: controller.signal, onBytes: () => controller.abort() });
    const error = await load.catch((e: unknown) => e);
    expect((error as LighterError).code).toBe('CANCELLED');
    expect((await engine.received).cut).toBe(true);
    expect(slow.destroyed).toBe(true);
  });

  it('an engine that cannot be reached is ENGINE_UNREACHABLE', async () => {
    const access = { endpoint: { socketPath: join(dir, 'nothing.sock') } } as EngineAccess;
    const error = await loadIntoEngine(access, chunks(body), { size: body.length }).catch((e: unknown) => e);
    expect((error as LighterError).code).toBe('ENGINE_UNREACHABLE');
  });
});

describe('LoadReplyLines', () => {
  it('finds an error line split across chunks, and refuses what is not JSON', () => {
    const lines = new LoadReplyLines();
    lines.add('{"stream":"Loading layer"}\n{"errorDetail":{"mess');
    expect(() => lines.add('age":"bad layer"}}\n')).toThrow('The engine refused the image: bad layer');
    const other = new LoadReplyLines();
    other.add('<html>');
    expect(() => other.end()).toThrow(/something unexpected: <html>/);
    const fine = new LoadReplyLines();
    fine.add('{"stream":"Loaded image: a:1\\n"}\n');
    expect(() => fine.end()).not.toThrow();
  });
});

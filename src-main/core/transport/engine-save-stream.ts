import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { LighterError } from '../errors';
import { ChunkedDecoder } from './http-chunked';

/** What is read of dockerode's connection settings. */
interface ModemSettings {
  socketPath?: unknown;
  host?: string;
  port?: number | string;
  protocol?: string;
  version?: string;
  headers?: Record<string, string>;
}

const maxHead = 64 * 1024;

/**
 * The engine's `GET /images/{name}/get` body. Over a local socket (or plain TCP) the request is
 * spoken directly: Node's HTTP client spends about as much CPU on a large body as hashing it does,
 * while here the body is handed on as views of what the socket delivers. TLS and ssh connections go
 * through dockerode. Errors carry `statusCode` like dockerode's, for engineError.
 */
export async function openSaveStream(docker: Docker, name: string): Promise<Readable> {
  const modem = docker.modem as unknown as ModemSettings;
  const target = typeof modem.socketPath === 'string' ? { path: modem.socketPath } : modem.protocol === 'http' && modem.host ? { host: modem.host, port: Number(modem.port ?? 2375) } : undefined;
  if (!target) return (await docker.getImage(name).get()) as Readable;

  const socket = connect(target);
  try {
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const path = `${modem.version ? `/${modem.version}` : ''}/images/${encodeURIComponent(name)}/get`;
    const headers = Object.entries({ ...modem.headers, Host: 'docker', 'User-Agent': 'lighter', Connection: 'close' });
    socket.write(`GET ${path} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
    const head = await readHead(socket);
    const chunked = /\bchunked\b/i.test(head.headers.get('transfer-encoding') ?? '');
    const body = new ResponseBody(socket, chunked ? new ChunkedDecoder() : undefined, head.rest);
    if (head.status === 200) return body;
    throw await failure(head.status, body);
  } catch (e) {
    socket.destroy();
    throw e;
  }
}

async function readHead(socket: Socket): Promise<{ status: number; headers: Map<string, string>; rest: Buffer }> {
  let received = Buffer.alloc(0);
  for (;;) {
    const chunk = await new Promise<Buffer | null>((resolve, reject) => {
      const onData = (data: Buffer) => done(data);
      const onEnd = () => done(null);
      const done = (data: Buffer | null) => {
        socket.off('data', onData).off('end', onEnd).off('error', reject);
        socket.pause();
        resolve(data);
      };
      socket.on('data', onData).once('end', onEnd).once('error', reject);
      socket.resume();
    });
    if (!chunk) throw new LighterError('ENGINE_ERROR', 'The engine closed the connection before answering');
    received = Buffer.concat([received, chunk]);
    const end = received.indexOf('\r\n\r\n');
    if (end < 0) {
      if (received.length > maxHead) throw new LighterError('ENGINE_ERROR', 'The engine answered with oversized headers');
      continue;
    }
    const [statusLine, ...lines] = received.toString('latin1', 0, end).split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!status) throw new LighterError('ENGINE_ERROR', `The engine answered with something other than HTTP: ${statusLine.slice(0, 80)}`);
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    return { status: Number(status[1]), headers, rest: received.subarray(end + 4) };
  }
}

/** A failed request's error, with the engine's message when its body has one. */
async function failure(status: number, body: Readable): Promise<Error> {
  let text = '';
  for await (const chunk of body) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > maxHead) break;
  }
  body.destroy();
  let message = text.trim();
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? message;
  } catch {
    // Not JSON: the text itself.
  }
  return Object.assign(new Error(message || `HTTP ${status}`), { statusCode: status });
}

/** The body as the socket delivers it; destroying it closes the connection, which cancels the save. */
class ResponseBody extends Readable {
  private ended = false;

  constructor(
    private readonly socket: Socket,
    private readonly decoder: ChunkedDecoder | undefined,
    first: Buffer,
  ) {
    super({ highWaterMark: 1 << 20 });
    socket.on('data', (chunk: Buffer) => this.accept(chunk));
    socket.once('end', () => this.finish());
    socket.once('error', (e) => this.destroy(e));
    if (first.length > 0) this.accept(first);
  }

  private accept(chunk: Buffer): void {
    let pieces: Buffer[];
    try {
      pieces = this.decoder ? this.decoder.decode(chunk) : [chunk];
    } catch (e) {
      this.destroy(e as Error);
      return;
    }
    let more = true;
    for (const piece of pieces) if (piece.length > 0) more = this.push(piece);
    if (this.decoder?.done) this.finish();
    else if (!more) this.socket.pause();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.decoder && !this.decoder.done) {
      this.destroy(Object.assign(new Error('The engine ended the stream early'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
      return;
    }
    this.push(null);
    this.socket.destroy();
  }

  override _read(): void {
    if (!this.ended) this.socket.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}

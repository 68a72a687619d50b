import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { LighterError } from '../errors';
import { engineError } from '../engine/engine-errors';
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

/**
 * A raw HTTP/1.1 exchange with an engine over its local socket (or plain TCP), for the large bodies
 * of image save and load: Node's HTTP client spends about as much CPU on them as hashing does, while
 * here bodies go to and from the socket as they are. TLS and ssh connections have no raw form
 * (undefined): callers use dockerode then.
 */
export class EngineConnection {
  private constructor(
    private readonly socket: Socket,
    private readonly modem: ModemSettings,
  ) {}

  static async open(docker: Docker): Promise<EngineConnection | undefined> {
    const modem = docker.modem as unknown as ModemSettings;
    const target = typeof modem.socketPath === 'string' ? { path: modem.socketPath } : modem.protocol === 'http' && modem.host ? { host: modem.host, port: Number(modem.port ?? 2375) } : undefined;
    if (!target) return undefined;
    const socket = connect(target);
    try {
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    } catch (e) {
      socket.destroy();
      throw e;
    }
    return new EngineConnection(socket, modem);
  }

  /** Sends the request line and headers; `path` is under the API version dockerode uses. */
  send(method: string, path: string, headers: Record<string, string | number> = {}): void {
    const version = this.modem.version ? `/${this.modem.version}` : '';
    const all = Object.entries({ ...this.modem.headers, Host: 'docker', 'User-Agent': 'lighter', Connection: 'close', ...headers });
    this.socket.write(`${method} ${version}${path} HTTP/1.1\r\n${all.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  }

  /**
   * Writes request body bytes, several buffers in one system call; resolves once the socket has
   * taken them (the buffers may then be reused) — at once while the socket's queue is short, after
   * it drained otherwise.
   */
  write(...chunks: Buffer[]): Promise<void> {
    const socket = this.socket;
    if (socket.destroyed) return Promise.reject(socket.errored ?? new LighterError('ENGINE_UNREACHABLE', 'The engine closed the connection'));
    return new Promise((resolve, reject) => {
      socket.cork();
      chunks.forEach((chunk, i) => socket.write(chunk, i === chunks.length - 1 ? (e) => (e ? reject(e) : resolve()) : undefined));
      socket.uncork();
    });
  }

  /** Reads the status line and headers; the body follows as a stream of what the socket delivers. */
  async response(): Promise<EngineResponse> {
    const head = await readHead(this.socket);
    const chunked = /\bchunked\b/i.test(head.headers.get('transfer-encoding') ?? '');
    const length = chunked ? undefined : head.headers.get('content-length');
    const body = new ResponseBody(this.socket, chunked ? new ChunkedDecoder() : undefined, head.rest, length === undefined ? undefined : Number(length));
    return { status: head.status, headers: head.headers, body };
  }

  /** Closes the connection; a request cut short this way is never completed by the engine. */
  destroy(): void {
    this.socket.destroy();
  }

  /** Settles when the connection fails or closes (whatever is being waited for elsewhere). */
  closed(): Promise<Error | undefined> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve(this.socket.errored ?? undefined);
      this.socket.once('close', () => resolve(this.socket.errored ?? undefined));
    });
  }
}

export interface EngineResponse {
  status: number;
  headers: Map<string, string>;
  /** Destroying it closes the connection. */
  body: Readable;
}

const maxHead = 64 * 1024;

async function readHead(socket: Socket): Promise<{ status: number; headers: Map<string, string>; rest: Buffer }> {
  let received = Buffer.alloc(0);
  for (;;) {
    const chunk = await new Promise<Buffer | null>((resolve, reject) => {
      const onData = (data: Buffer) => done(data);
      const onEnd = () => done(null);
      const onClose = () => done(null);
      const done = (data: Buffer | null) => {
        socket.off('data', onData).off('end', onEnd).off('close', onClose).off('error', reject);
        socket.pause();
        resolve(data);
      };
      if (socket.destroyed) return done(null);
      socket.on('data', onData).once('end', onEnd).once('close', onClose).once('error', reject);
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

/** Reads a (small) body whole, up to `limit` bytes. */
export async function readText(body: Readable, limit = maxHead): Promise<string> {
  let text = '';
  for await (const chunk of body) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > limit) break;
  }
  body.destroy();
  return text;
}

/** A failed request's error, with the engine's message when its body has one; `statusCode` as dockerode's, for engineError. */
export async function responseFailure(status: number, body: Readable): Promise<Error> {
  const text = await readText(body);
  let message = text.trim();
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? message;
  } catch {
    // Not JSON: the text itself.
  }
  return Object.assign(new Error(message || `HTTP ${status}`), { statusCode: status });
}

/** The body as the socket delivers it; destroying it closes the connection. */
class ResponseBody extends Readable {
  private ended = false;
  private received = 0;

  constructor(
    private readonly socket: Socket,
    private readonly decoder: ChunkedDecoder | undefined,
    first: Buffer,
    /** Content-Length, when the body is not chunked. */
    private readonly length?: number,
  ) {
    super({ highWaterMark: 1 << 20 });
    socket.on('data', (chunk: Buffer) => this.accept(chunk));
    socket.once('end', () => this.finish());
    // The engine going away part way is the engine's failure, whoever reads the body.
    socket.once('error', (e) => this.destroy(engineError(e)));
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
    for (const piece of pieces) {
      this.received += piece.length;
      if (piece.length > 0) more = this.push(piece);
    }
    if (this.decoder?.done) this.finish();
    else if (!more) this.socket.pause();
  }

  private finish(): void {
    if (this.ended || this.destroyed) return;
    this.ended = true;
    if ((this.decoder && !this.decoder.done) || (this.length !== undefined && this.received < this.length)) {
      this.destroy(new LighterError('ENGINE_UNREACHABLE', 'The engine stopped answering: it closed the connection in the middle of its answer'));
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

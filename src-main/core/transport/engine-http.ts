import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { LighterError } from '../errors';
import type { EngineEndpoint } from '../engine/connect';
import { engineError } from '../engine/engine-errors';
import { connectForBodies } from '../http/connect';
import { openBody, readHead, type ResponseFailures } from '../http/response';

/**
 * A raw HTTP/1.1 exchange with an engine over its local socket (or plain TCP), for the large bodies
 * of image save and load: Node's HTTP client spends about as much CPU on them as hashing does, while
 * here bodies go to and from the socket as they are. TLS and ssh connections have no raw form
 * (undefined): callers use dockerode then.
 */
export class EngineConnection {
  private constructor(
    private readonly socket: Socket,
    private readonly endpoint: EngineEndpoint,
  ) {}

  static async open(endpoint: EngineEndpoint): Promise<EngineConnection | undefined> {
    const target = endpoint.socketPath ? { path: endpoint.socketPath } : endpoint.protocol === 'http' && endpoint.host ? { host: endpoint.host, port: Number(endpoint.port ?? 2375) } : undefined;
    if (!target) return undefined;
    const socket = connectForBodies(target);
    try {
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    } catch (e) {
      socket.destroy();
      throw e;
    }
    return new EngineConnection(socket, endpoint);
  }

  /** Sends the request line and headers; `path` is under the endpoint's API version. */
  send(method: string, path: string, headers: Record<string, string | number> = {}): void {
    const version = this.endpoint.version ? `/${this.endpoint.version}` : '';
    const all = Object.entries({ ...this.endpoint.headers, Host: 'docker', 'User-Agent': 'lighter', Connection: 'close', ...headers });
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
    const head = await readHead(this.socket, engineFailures);
    return { status: head.status, headers: head.headers, body: openBody(this.socket, head, engineFailures) };
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

const engineFailures: ResponseFailures = {
  malformed: (detail) => new LighterError('ENGINE_ERROR', `The engine answered with ${detail}`),
  closed: (inBody) =>
    inBody
      ? new LighterError('ENGINE_UNREACHABLE', 'The engine stopped answering: it closed the connection in the middle of its answer')
      : new LighterError('ENGINE_ERROR', 'The engine closed the connection before answering'),
  failed: (e) => engineError(e),
};

export interface EngineResponse {
  status: number;
  headers: Map<string, string[]>;
  /** Destroying it closes the connection. */
  body: Readable;
}

/** Reads a (small) body whole, up to `limit` bytes. */
export async function readText(body: Readable, limit = 64 * 1024): Promise<string> {
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

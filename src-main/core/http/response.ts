import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { ChunkedDecoder } from './chunked';
import { giveBack } from './read-slabs';

/**
 * Reading an HTTP/1.1 response straight from its socket, for large bodies: Node's HTTP client copies
 * every piece of a body once more and passes it through a stream of its own; here the body is what
 * the socket delivers. One request per connection (the caller sends `Connection: close`).
 */

/** How failures read, in the words of whoever answers (an engine, a registry). */
export interface ResponseFailures {
  /** The answer is not HTTP, or its framing is broken; `detail` says how. */
  malformed(detail: string): Error;
  /** The connection closed before the head (`inBody` false) or before the body's end. */
  closed(inBody: boolean): Error;
  /** The connection failed while the body was read. */
  failed(error: Error): Error;
}

export interface ResponseHead {
  status: number;
  /** By lower-case name; a header sent several times has several values. */
  headers: Map<string, string[]>;
  /** What came after the head in the same read: the body's start. */
  rest: Buffer;
}

const maxHead = 64 * 1024;

/** Reads the status line and headers; a socket error before them rejects with that error as it is. */
export async function readHead(socket: Socket, failures: ResponseFailures): Promise<ResponseHead> {
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
    if (!chunk) throw failures.closed(false);
    received = Buffer.concat([received, chunk]);
    giveBack(chunk); // copied
    const end = received.indexOf('\r\n\r\n');
    if (end < 0) {
      if (received.length > maxHead) throw failures.malformed('oversized headers');
      continue;
    }
    const [statusLine, ...lines] = received.toString('latin1', 0, end).split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!status) throw failures.malformed(`something other than HTTP: ${statusLine.slice(0, 80)}`);
    const headers = new Map<string, string[]>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
    }
    return { status: Number(status[1]), headers, rest: received.subarray(end + 4) };
  }
}

/** The body that follows `head` on `socket`: chunked, of a Content-Length, or up to the close. Throws when its length is not a number. */
export function openBody(socket: Socket, head: ResponseHead, failures: ResponseFailures): Readable {
  const chunked = /\bchunked\b/i.test(head.headers.get('transfer-encoding')?.join(',') ?? '');
  const length = chunked ? undefined : head.headers.get('content-length')?.[0];
  if (length !== undefined && !/^\d{1,15}$/.test(length)) throw failures.malformed(`a Content-Length that is not a length: ${length.slice(0, 40)}`);
  const decoder = chunked ? new ChunkedDecoder((detail) => failures.malformed(`a malformed chunked body (${detail})`)) : undefined;
  return new ResponseBody(socket, failures, decoder, head.rest, length === undefined ? undefined : Number(length));
}

/** The body as the socket delivers it; destroying it closes the connection. */
class ResponseBody extends Readable {
  private ended = false;
  private received = 0;

  constructor(
    private readonly socket: Socket,
    private readonly failures: ResponseFailures,
    private readonly decoder: ChunkedDecoder | undefined,
    first: Buffer,
    /** Content-Length, when the body is not chunked. */
    private readonly length?: number,
  ) {
    super({ highWaterMark: 1 << 20 });
    socket.on('data', (chunk: Buffer) => this.accept(chunk));
    socket.once('end', () => this.finish());
    // The connection failing part way is the sender's failure, whoever reads the body.
    socket.once('error', (e) => this.destroy(failures.failed(e)));
    if (first.length > 0) this.accept(first);
    else if (length === 0) this.finish();
  }

  private accept(chunk: Buffer): void {
    let pieces: Buffer[];
    try {
      // Anything past a Content-Length is not the body's.
      pieces = this.decoder ? this.decoder.decode(chunk) : [this.length === undefined ? chunk : chunk.subarray(0, this.length - this.received)];
    } catch (e) {
      this.destroy(e as Error);
      return;
    }
    let more = true;
    let body = 0;
    for (const piece of pieces) {
      body += piece.length;
      if (piece.length > 0) more = this.push(piece);
    }
    this.received += body;
    // The framing read along with the body (chunk sizes) is read no more: its memory may be reused.
    giveBack(chunk, chunk.length - body);
    if (this.decoder?.done || (this.length !== undefined && this.received >= this.length)) this.finish();
    else if (!more) this.socket.pause();
  }

  private finish(): void {
    if (this.ended || this.destroyed) return;
    this.ended = true;
    if ((this.decoder && !this.decoder.done) || (this.length !== undefined && this.received < this.length)) {
      this.destroy(this.failures.closed(true));
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

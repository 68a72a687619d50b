import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LighterError, cancelled, isAbortError } from '../errors';
import type { EngineAccess } from '../engine/connect';
import { engineError } from '../engine/engine-errors';
import { chunksOf } from '../archive/stream-chunks';
import { giveBack } from '../http/read-slabs';
import { releaseSpentMemory } from '../spent-memory';
import { EngineConnection, responseFailure } from './engine-http';

export interface LoadOptions {
  /** The body's exact length when known: a body of another length fails before its end goes out. */
  size?: number;
  signal?: AbortSignal;
  onBytes?: (bytes: number) => void;
  /** The body's chunks are the load's alone: each is given back once sent (http/read-slabs.ts). */
  handOver?: boolean;
}

const crlf = Buffer.from('\r\n');

/** The reply to a load is small ("Loaded image: …"); anything far larger is not a reply. */
const maxReply = 1 << 20;

/**
 * One `POST /images/load` on a connection of its own: the tar goes out in HTTP chunks (chunked even
 * when the length is known, as the docker CLI sends it: dockerd 20.10 took ≈2 s longer to load a 604
 * MB archive sent with a Content-Length, measured with curl both ways). A request destroyed before
 * `end` leaves the engine a tar cut short, so it loads nothing from it.
 */
export class LoadRequest {
  /** The engine's verdict; a refusal while the body still goes out destroys the connection. */
  readonly reply: Promise<void>;
  private refusal: unknown;

  private constructor(private readonly connection: EngineConnection) {
    connection.send('POST', '/images/load?quiet=1', { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' });
    this.reply = readReply(connection);
    this.reply.catch((r: unknown) => {
      this.refusal = r;
      connection.destroy();
    });
  }

  /** Undefined for engines reached through dockerode only (TLS, ssh). */
  static async open(engine: EngineAccess): Promise<LoadRequest | undefined> {
    const connection = await EngineConnection.open(engine.endpoint).catch((e: unknown) => {
      throw engineError(e);
    });
    return connection && new LoadRequest(connection);
  }

  send(chunk: Uint8Array): Promise<void> {
    // An empty chunk would be the body's end.
    if (chunk.length === 0) return Promise.resolve();
    return this.connection.write(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk as Buffer, crlf);
  }

  /** The body's last chunk: only now is the tar complete for the engine. */
  end(): Promise<void> {
    return this.connection.write(Buffer.from('0\r\n\r\n'));
  }

  /**
   * Why sending failed, best told: the engine's refusal when it stopped reading because of one, the
   * body's own failure when it is ours (a LighterError: the file changed), else the connection's.
   */
  async failure(e: unknown): Promise<unknown> {
    this.connection.destroy();
    if (this.refusal instanceof LighterError) return this.refusal;
    if (e instanceof LighterError) return e;
    const late = await this.reply.then(() => undefined, (r: unknown) => r);
    return late instanceof LighterError ? late : engineError(e);
  }

  destroy(): void {
    this.connection.destroy();
  }
}

/**
 * Streams a docker-archive tar into the engine's `POST /images/load` and waits for its verdict. A
 * body that fails or is cancelled part way closes the connection before the tar is complete, so the
 * engine loads nothing. The reply is a JSON stream whose lines may carry errors (with status 200):
 * any of them fails the load.
 */
export async function loadIntoEngine(engine: EngineAccess, body: Readable, options: LoadOptions = {}): Promise<void> {
  const request = await LoadRequest.open(engine);
  if (!request) return loadThroughDockerode(engine.docker, body, options);
  const { signal } = options;
  // The body may be what is being waited for: both go.
  const stop = () => {
    request.destroy();
    body.destroy();
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    try {
      await sendBody(request, body, options);
    } catch (e) {
      request.destroy();
      if (signal?.aborted) throw cancelled();
      throw await request.failure(e);
    }
    // The engine now spends seconds on the image; the upload's buffers go back meanwhile.
    releaseSpentMemory();
    try {
      await request.reply;
    } catch (e) {
      if (signal?.aborted) throw cancelled();
      throw engineError(e);
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    request.destroy();
    body.destroy();
  }
}

async function sendBody(request: LoadRequest, body: Readable, options: LoadOptions): Promise<void> {
  let sent = 0;
  for await (const chunk of chunksOf(body)) {
    if (options.signal?.aborted) throw cancelled();
    await request.send(chunk);
    if (options.handOver) giveBack(chunk);
    sent += chunk.length;
    options.onBytes?.(chunk.length);
  }
  // Without its last chunk the engine never has a complete body, so it loads nothing.
  if (options.size !== undefined && sent !== options.size) {
    throw new LighterError('INTERNAL', `The image tar held ${sent} bytes where ${options.size} were announced`);
  }
  await request.end();
}

/** The engine's verdict: a status other than 200, or an error line, fails with the engine's message. */
async function readReply(connection: EngineConnection): Promise<void> {
  const response = await connection.response();
  if (response.status !== 200) throw engineError(await responseFailure(response.status, response.body));
  const lines = new LoadReplyLines();
  for await (const chunk of response.body) lines.add((chunk as Buffer).toString('utf8'));
  lines.end();
}

/** Checks a load reply line by line as it arrives; the first error line throws. */
export class LoadReplyLines {
  private pending = '';
  private size = 0;

  add(text: string): void {
    this.size += text.length;
    if (this.size > maxReply) throw new LighterError('ENGINE_ERROR', 'The engine answered the image load with far more than a load reply');
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop()!;
    for (const line of lines) checkLine(line);
  }

  end(): void {
    checkLine(this.pending);
    this.pending = '';
  }
}

function checkLine(line: string): void {
  if (!line.trim()) return;
  let event: { error?: string; errorDetail?: { message?: string } };
  try {
    event = JSON.parse(line);
  } catch {
    throw new LighterError('ENGINE_ERROR', `The engine answered the image load with something unexpected: ${line.slice(0, 200)}`);
  }
  if (event.error || event.errorDetail) throw new LighterError('ENGINE_ERROR', `The engine refused the image: ${event.errorDetail?.message ?? event.error}`);
}

/** For engines behind TLS or ssh: the same load through dockerode. */
async function loadThroughDockerode(docker: EngineAccess['docker'], input: Readable, options: LoadOptions): Promise<void> {
  const request = new PassThrough({ highWaterMark: 4 << 20 });
  // A tar cut short must not be loaded: abandoning the body aborts the request itself.
  const controller = new AbortController();
  request.once('close', () => request.writableFinished || controller.abort());
  const response = docker.loadImage(request, { quiet: true, abortSignal: controller.signal } as object) as Promise<NodeJS.ReadableStream>;
  response.catch(() => undefined);
  try {
    const counted = options.onBytes ? input.on('data', (chunk: Buffer) => options.onBytes!(chunk.length)) : input;
    await pipeline(counted, request, { signal: options.signal });
  } catch (e) {
    request.destroy();
    if (options.signal?.aborted || isAbortError(e)) throw cancelled();
    throw e instanceof LighterError ? e : engineError(e);
  }
  await readLoadResponse(response);
}

/** Reads the whole load response of a dockerode request; any `{error}` line fails the load. */
export async function readLoadResponse(response: Promise<NodeJS.ReadableStream>): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await response;
  } catch (e) {
    throw engineError(e);
  }
  const lines = new LoadReplyLines();
  for await (const chunk of stream as AsyncIterable<Buffer>) lines.add(chunk.toString('utf8'));
  lines.end();
}

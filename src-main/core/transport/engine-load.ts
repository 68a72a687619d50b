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
 * Streams a docker-archive tar into the engine's `POST /images/load` and waits for its verdict. A
 * body that fails or is cancelled part way closes the connection before the tar is complete, so the
 * engine loads nothing. The reply is a JSON stream whose lines may carry errors (with status 200):
 * any of them fails the load.
 */
export async function loadIntoEngine(engine: EngineAccess, body: Readable, options: LoadOptions = {}): Promise<void> {
  const connection = await EngineConnection.open(engine.endpoint).catch((e: unknown) => {
    throw engineError(e);
  });
  if (!connection) return loadThroughDockerode(engine.docker, body, options);
  const { signal } = options;
  // The body may be what is being waited for: both go.
  const stop = () => {
    connection.destroy();
    body.destroy();
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    // Chunked even when the length is known, as the docker CLI sends it: dockerd 20.10 took ≈2 s
    // longer to load a 604 MB archive sent with a Content-Length (measured with curl both ways).
    connection.send('POST', '/images/load?quiet=1', { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' });
    const reply = readReply(connection);
    // A refusal while the body is still going out stops the sending, and is what is reported.
    let refusal: unknown;
    reply.catch((r: unknown) => {
      refusal = r;
      connection.destroy();
    });
    try {
      await sendBody(connection, body, options);
    } catch (e) {
      connection.destroy();
      if (signal?.aborted) throw cancelled();
      if (refusal instanceof LighterError) throw refusal;
      if (e instanceof LighterError) throw e; // the body's own failure (the file changed): ours to report
      // The engine may have stopped reading because it refused the tar: its reason is the better message.
      const late = await reply.then(() => undefined, (r: unknown) => r);
      throw late instanceof LighterError ? late : engineError(e);
    }
    // The engine now spends seconds on the image; the upload's buffers go back meanwhile.
    releaseSpentMemory();
    try {
      await reply;
    } catch (e) {
      if (signal?.aborted) throw cancelled();
      throw engineError(e);
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    connection.destroy();
    body.destroy();
  }
}

async function sendBody(connection: EngineConnection, body: Readable, options: LoadOptions): Promise<void> {
  let sent = 0;
  for await (const chunk of chunksOf(body)) {
    if (options.signal?.aborted) throw cancelled();
    await connection.write(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, crlf);
    if (options.handOver) giveBack(chunk);
    sent += chunk.length;
    options.onBytes?.(chunk.length);
  }
  // Without its last chunk the engine never has a complete body, so it loads nothing.
  if (options.size !== undefined && sent !== options.size) {
    throw new LighterError('INTERNAL', `The image tar held ${sent} bytes where ${options.size} were announced`);
  }
  await connection.write(Buffer.from('0\r\n\r\n'));
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

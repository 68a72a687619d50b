import { finished, Readable } from 'node:stream';

/**
 * Bytes queued before the stream is paused, and below which it resumes. Counted in bytes, not
 * chunks: pieces of up to 512 KiB (http/connect.ts) would otherwise queue 4 MB a stage, and every
 * byte queued along a copy is read memory that cannot be read into again yet.
 */
const pauseAt = 1 << 20;
const resumeBelow = 256 * 1024;

/**
 * A stream's chunks as they were pushed. `for await` on a Readable joins whatever is buffered into
 * a new buffer: a copy (and fresh memory) per read that large blobs should not pay.
 */
export function chunksOf(stream: Readable): AsyncGenerator<Buffer>;
export function chunksOf(stream: Readable | AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Buffer | Uint8Array>;
export async function* chunksOf(stream: Readable | AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Buffer | Uint8Array> {
  if (!(stream instanceof Readable)) return yield* stream;
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const signal = () => {
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  const onData = (chunk: Buffer) => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued >= pauseAt) stream.pause();
    signal();
  };
  const stopWatching = finished(stream, (e) => {
    if (e) failure = e;
    else ended = true;
    signal();
  });
  stream.on('data', onData);
  try {
    for (;;) {
      if (queue.length > 0) {
        const chunk = queue.shift()!;
        queued -= chunk.length;
        if (queued < resumeBelow && stream.isPaused()) stream.resume();
        yield chunk;
      } else if (failure !== undefined) throw failure;
      else if (ended) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stream.off('data', onData);
    stopWatching();
    if (!ended) stream.destroy();
  }
}

/**
 * Hands each chunk of `stream` to `handle` as it is pushed; while a returned promise is pending
 * the stream is paused. Cheaper per chunk than any async iteration, which matters at 10,000s of chunks.
 */
export function eachChunk(stream: Readable, handle: (chunk: Buffer) => Promise<unknown> | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    let waiting: Promise<unknown> | undefined;
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      stream.off('data', onData);
      stream.destroy();
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      let pending: Promise<unknown> | undefined;
      try {
        pending = handle(chunk);
      } catch (e) {
        fail(e);
        return;
      }
      if (!pending) return;
      stream.pause();
      waiting = pending.then(() => {
        waiting = undefined;
        if (!failed) stream.resume();
      }, fail);
    };
    stream.on('data', onData);
    stream.once('error', fail);
    stream.once('end', () => {
      if (!waiting) resolve();
      else waiting.then(() => (failed ? undefined : resolve()), fail);
    });
  });
}

import type { Readable } from 'node:stream';

const queued = 4;

/**
 * A Readable's chunks one by one, as they were pushed. Its own async iterator joins whatever is
 * buffered into a fresh copy on every read: on a fast stream that copies most of the data again.
 */
export async function* chunksOf(stream: Readable): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const onData = (chunk: Buffer) => {
    queue.push(chunk);
    if (queue.length >= queued) stream.pause();
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (e: unknown) => {
    failure ??= e;
    notify();
  };
  const onClose = () => {
    if (!ended) failure ??= Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    notify();
  };
  stream.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  if (stream.errored) onError(stream.errored);
  if (stream.readableEnded) onEnd();
  try {
    for (;;) {
      const chunk = queue.shift();
      if (chunk) {
        if (queue.length === 0 && stream.isPaused() && !ended) stream.resume();
        yield chunk;
        continue;
      }
      if (ended) return;
      if (failure !== undefined) throw failure;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stream.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
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

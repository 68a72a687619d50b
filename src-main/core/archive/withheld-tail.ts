import { PassThrough, type Readable, type Writable } from 'node:stream';
import { cancelled } from '../errors';
import { share } from '../http/read-slabs';
import { chunksOf } from './stream-chunks';

export interface WithheldTail<T> {
  /** The input's bytes, unchanged; its last chunk comes only once `verified` resolved. */
  stream: Readable;
  /** What `verify` made of the bytes; when it fails, `stream` fails with the same error instead of ending. */
  verified: Promise<T>;
}

/**
 * Passes a stream on while it is being verified, holding back the chunk read last until the
 * verification is done: whoever reads the output (an engine loading a tar) sees the bytes as soon
 * as they are checked-in-progress, but never a complete stream unless every check held. `verify`
 * reads the same chunks (it may stop before the end, as a tar reader does at its end marker).
 */
export function withholdTail<T>(input: Readable, verify: (chunks: AsyncIterable<Buffer>) => Promise<T>): WithheldTail<T> {
  const output = new PassThrough({ highWaterMark: 4 << 20 });
  const chunks = chunksOf(input)[Symbol.asyncIterator]();
  let held: Buffer | undefined;

  async function* passing(): AsyncGenerator<Buffer> {
    for (;;) {
      const next = await chunks.next();
      if (next.done) return;
      if (held) await send(output, held);
      held = next.value;
      // Read by both: the verification gives back what it skips (a tar reader, its members' data).
      share(next.value);
      yield next.value;
    }
  }

  const verified = (async () => {
    try {
      const result = await verify(passing());
      if (held) await send(output, held);
      // The rest of the file past what the verification needed (tar padding).
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) await send(output, next.value);
      output.end();
      return result;
    } catch (e) {
      output.destroy(e as Error);
      throw e;
    } finally {
      await chunks.return?.(undefined);
    }
  })();
  verified.catch(() => undefined);
  // The verification runs ahead of the reader, who may not be listening yet when it fails (a small
  // archive fits in the buffer): the failure is `verified`'s, and a reader that comes later sees it.
  output.on('error', () => undefined);
  output.once('close', () => {
    // The reader went away early: stop reading the input too.
    if (!output.writableFinished) void chunks.return?.(undefined);
  });
  return { stream: output, verified };
}

async function send(output: Writable, chunk: Buffer): Promise<void> {
  if (output.destroyed) throw cancelled();
  if (output.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const settle = () => {
      output.off('drain', settle);
      output.off('close', settle);
      if (output.destroyed) reject(cancelled());
      else resolve();
    };
    output.on('drain', settle);
    output.on('close', settle);
  });
}

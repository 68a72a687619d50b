import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';
import { ReadableStream, type ReadableStreamDefaultController, type ReadableStreamDefaultReader } from 'node:stream/web';

type XzStreamClass = new (compressed: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;
interface XzStreamStatics {
  _contextMutex: { acquire(): Promise<void>; release(): void };
}

let xzStream: (XzStreamClass & XzStreamStatics) | undefined;

/** The decoder's class, loaded on first use: it takes ≈10 ms to load, and most archives are not xz. */
function xzReadableStream(): XzStreamClass & XzStreamStatics {
  if (xzStream) return xzStream;
  const loaded = createRequire(import.meta.url)('xz-decompress') as { XzReadableStream: XzStreamClass & XzStreamStatics };
  // The library lets only one xz stream run per process at a time: an xz layer inside an xz archive
  // would wait forever for its parent, and so would every xz stream after one that was abandoned.
  // Each stream owns a separate decoder context, so running them side by side is safe. This reaches
  // into a private field: the version is pinned in package.json, and the tests run nested xz streams.
  loaded.XzReadableStream._contextMutex = { acquire: async () => {}, release: () => {} };
  xzStream = loaded.XzReadableStream;
  return xzStream;
}

/** xz-embedded's status codes (xz.h), as the WASM build reports them. */
const xzErrors: Record<string, string> = {
  '2': 'its integrity check type is not supported',
  '3': 'out of memory',
  '4': 'it needs a dictionary larger than the decoder allows',
  '5': 'it is not in the xz format',
  '6': 'it uses unsupported options (filters or an SHA-256 check)',
  '7': 'the compressed data is damaged',
  '8': 'it ends early',
};

export function describeXzFailure(error: unknown): string {
  const code = /failed with error code (\d+)/.exec((error as Error)?.message ?? '')?.[1];
  if (code && xzErrors[code]) return xzErrors[code];
  return (error as Error)?.message ?? String(error);
}

/**
 * An xz decoder (WASM, in process) as a Node Duplex. The decoder pulls compressed chunks only when
 * it needs them and output is read only when the consumer asks, so nothing piles up in between.
 */
export class XzDecoderStream extends Duplex {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private pendingInput?: { chunk: Uint8Array; callback: (error?: Error | null) => void };
  private waitingPull?: { controller: ReadableStreamDefaultController<Uint8Array>; resolve: () => void };
  private inputEnded = false;
  private reading = false;

  constructor(private readonly describe: (error: unknown) => Error) {
    super({ readableHighWaterMark: 1 << 20 });
    const compressed = new ReadableStream<Uint8Array>({ pull: (controller) => this.pull(controller) }, { highWaterMark: 0 });
    this.reader = new (xzReadableStream())(compressed).getReader() as ReadableStreamDefaultReader<Uint8Array>;
  }

  /** The decoder asks for input: hand over the chunk written last, or wait for the next write. */
  private pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> | void {
    if (this.pendingInput) return this.deliver(controller);
    if (this.inputEnded) return controller.close();
    return new Promise<void>((resolve) => (this.waitingPull = { controller, resolve }));
  }

  private deliver(controller: ReadableStreamDefaultController<Uint8Array>): void {
    const { chunk, callback } = this.pendingInput!;
    this.pendingInput = undefined;
    controller.enqueue(chunk);
    callback();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pendingInput = { chunk: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), callback };
    const waiting = this.waitingPull;
    if (waiting) {
      this.waitingPull = undefined;
      this.deliver(waiting.controller);
      waiting.resolve();
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.inputEnded = true;
    const waiting = this.waitingPull;
    if (waiting) {
      this.waitingPull = undefined;
      waiting.controller.close();
      waiting.resolve();
    }
    callback();
  }

  override _read(): void {
    if (this.reading) return;
    this.reading = true;
    this.pump();
  }

  private pump(): void {
    this.reader.read().then(
      ({ done, value }) => {
        if (this.destroyed) return;
        if (done) this.push(null);
        else if (value.byteLength === 0 || this.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength))) this.pump();
        else this.reading = false;
      },
      (e: unknown) => this.destroy(this.describe(e)),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Frees the decoder's context; it may already be gone after an error.
    this.reader.cancel().catch(() => {});
    const waiting = this.waitingPull;
    this.waitingPull = undefined;
    waiting?.resolve();
    callback(error);
  }
}

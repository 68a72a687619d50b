import { Duplex } from 'node:stream';

/**
 * A Node stream around a decoder that works synchronously: it is handed input and gives back the
 * output it can make from it, piece by piece. Input is fed in slices, each piece is taken only once
 * the reader has room for it (a decoder that makes its pieces lazily, as a generator, then never
 * works ahead of the reader), and the next slice waits for the reader too, so memory stays bounded
 * however well the data compresses. Errors thrown by the decoder destroy the stream, mapped by
 * `describe`.
 */
export abstract class SyncDecoderStream extends Duplex {
  private wakeFeed?: () => void;

  constructor(private readonly sliceSize: number) {
    super({ readableHighWaterMark: 1 << 20 });
  }

  /** Decodes `input` (or flushes at the end when undefined): the output pieces, in order. */
  protected abstract decode(input: Uint8Array | undefined): Iterable<Uint8Array>;

  /** Turns whatever the decoder threw into the error the stream fails with. */
  protected abstract describe(error: unknown, atEnd: boolean): Error;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.feed(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.step(undefined).then(() => {
      this.push(null);
      callback();
    }, callback);
  }

  override _read(): void {
    const wake = this.wakeFeed;
    this.wakeFeed = undefined;
    wake?.();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this._read(); // let a feed waiting for the reader see the stream is gone
    callback(error);
  }

  private async feed(chunk: Buffer): Promise<void> {
    for (let at = 0; at < chunk.length && !this.destroyed; at += this.sliceSize) {
      await this.step(chunk.subarray(at, at + this.sliceSize));
    }
  }

  private async step(input: Uint8Array | undefined): Promise<void> {
    const atEnd = input === undefined;
    const pieces = this.described(atEnd, () => this.decode(input)[Symbol.iterator]());
    for (;;) {
      const piece = this.described(atEnd, () => pieces.next());
      if (piece.done || this.destroyed) return;
      const output = piece.value;
      const more = this.push(Buffer.from(output.buffer, output.byteOffset, output.byteLength));
      if (!more) await new Promise<void>((resolve) => (this.wakeFeed = resolve));
    }
  }

  private described<T>(atEnd: boolean, work: () => T): T {
    try {
      return work();
    } catch (e) {
      throw this.describe(e, atEnd);
    }
  }
}

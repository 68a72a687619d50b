import { Duplex } from 'node:stream';

/**
 * A Node stream around a decoder that works synchronously: it is handed input and calls back with
 * every piece of output it can make from it. Input is fed in slices and the next slice waits until
 * the reader has taken what the previous one produced, so memory stays bounded however well the
 * data compresses. Errors thrown by the decoder destroy the stream, mapped by `describe`.
 */
export abstract class SyncDecoderStream extends Duplex {
  private wakeFeed?: () => void;

  constructor(private readonly sliceSize: number) {
    super({ readableHighWaterMark: 1 << 20 });
  }

  /** Decodes `input` (or flushes at the end when undefined), calling `emit` for each output piece. */
  protected abstract decode(input: Uint8Array | undefined, emit: (output: Uint8Array) => void): void;

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
    const outputs: Uint8Array[] = [];
    try {
      this.decode(input, (output) => outputs.push(output));
    } catch (e) {
      throw this.describe(e, input === undefined);
    }
    for (const output of outputs) {
      if (this.destroyed) return;
      const more = this.push(Buffer.from(output.buffer, output.byteOffset, output.byteLength));
      if (!more) await new Promise<void>((resolve) => (this.wakeFeed = resolve));
    }
  }
}

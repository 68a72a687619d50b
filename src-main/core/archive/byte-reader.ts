import { giveBack } from '../http/read-slabs';

/**
 * Pulls exact byte counts out of a chunked stream, on demand (so backpressure reaches the source),
 * and tracks the absolute position, which the tar reader reports as entry offsets. What it skips
 * it reads no more: that memory is given back (http/read-slabs.ts).
 */
export class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  /** Bytes handed out (or skipped) so far. */
  position = 0;

  constructor(private readonly source: AsyncIterator<Buffer | Uint8Array>) {}

  static from(input: AsyncIterable<Buffer | Uint8Array>): ByteReader {
    return new ByteReader(input[Symbol.asyncIterator]());
  }

  /** Exactly `n` bytes, or fewer only when the input ends first. */
  async read(n: number): Promise<Buffer> {
    while (this.buffered < n && (await this.fill()));
    return this.take(Math.min(n, this.buffered));
  }

  /** Between 1 and `n` bytes, never more than one input chunk holds (no copy); empty only at the end of input. */
  async readSome(n: number): Promise<Buffer> {
    while (this.buffered === 0 && (await this.fill()));
    return this.take(Math.min(n, this.chunks[0]?.length ?? 0));
  }

  /** Discards up to `n` bytes; returns how many were really there. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      const chunk = await this.readSome(Math.min(left, 1 << 20));
      if (chunk.length === 0) break;
      left -= chunk.length;
      giveBack(chunk);
    }
    return n - left;
  }

  /** Stops pulling from the source (lets it release its file handle). */
  async close(): Promise<void> {
    this.chunks = [];
    this.buffered = 0;
    if (!this.ended) {
      this.ended = true;
      await this.source.return?.();
    }
  }

  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.source.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    return true;
  }

  private take(n: number): Buffer {
    this.position += n;
    this.buffered -= n;
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first.length === n) return this.chunks.shift()!;
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0];
      const part = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, part);
      filled += part;
      if (part === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(part);
    }
    return out;
  }
}

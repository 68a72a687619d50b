import type { Writable } from 'node:stream';
import { cancelled } from '../errors';
import { checkedAsItPasses, type ExpectedContent } from '../archive/content-check';
import type { ContentSink } from '../archive/content-sink';
import { tarEnd, tarEntry } from '../archive/tar';

/**
 * A tar written into a stream (an engine's image-load request body) instead of a file. Memory stays
 * bounded: every write waits for the stream to drain. `finished` is what commit waits for after the
 * last byte: the receiver's verdict.
 */
export class StreamSink implements ContentSink {
  bytesWritten = 0;

  constructor(
    private readonly out: Writable,
    private readonly finished: () => Promise<void>,
    private readonly signal?: AbortSignal,
  ) {}

  async directory(path: string): Promise<void> {
    for await (const chunk of tarEntry({ path, type: 'directory' })) await this.write(chunk);
  }

  async file(path: string, size: number, body: Buffer | AsyncIterable<Buffer>, expected?: ExpectedContent): Promise<void> {
    const checked = expected ? checkedAsItPasses(body, expected) : body;
    for await (const chunk of tarEntry({ path, size }, checked)) await this.write(chunk);
  }

  private async write(chunk: Buffer): Promise<void> {
    if (this.signal?.aborted) throw cancelled();
    if (this.out.destroyed) throw this.out.errored ?? cancelled();
    this.bytesWritten += chunk.length;
    if (this.out.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const settle = () => {
        this.out.off('drain', settle).off('close', settle).off('error', settle);
        resolve();
      };
      this.out.on('drain', settle).on('close', settle).on('error', settle);
    });
    if (this.out.destroyed) throw this.out.errored ?? cancelled();
  }

  async commit(): Promise<void> {
    await this.write(tarEnd());
    this.out.end();
    await this.finished();
  }

  async abort(): Promise<void> {
    this.out.destroy();
  }
}

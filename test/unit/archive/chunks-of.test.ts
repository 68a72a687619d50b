import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { chunksOf } from '../../../src-main/core/archive/stream-chunks';

describe('chunksOf', () => {
  it('hands over the pushed buffers themselves, never joined, even to a slow reader', async () => {
    const pushed = Array.from({ length: 40 }, (_, i) => Buffer.alloc(1000, i));
    const stream = Readable.from(pushed, { objectMode: false });
    const seen: Buffer[] = [];
    for await (const chunk of chunksOf(stream)) {
      seen.push(chunk as Buffer);
      await sleep(1); // lets many chunks pile up meanwhile
    }
    expect(seen.length).toBe(40);
    seen.forEach((chunk, i) => expect(chunk).toBe(pushed[i]));
  });

  it('throws the stream error after the chunks that came before it', async () => {
    const stream = new PassThrough();
    stream.write(Buffer.from('a'));
    setTimeout(() => stream.destroy(new Error('boom')), 5);
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of chunksOf(stream)) seen.push(chunk.toString());
      })(),
    ).rejects.toThrow('boom');
    expect(seen).toEqual(['a']);
  });

  it('fails when the stream closes before its end', async () => {
    const stream = new PassThrough();
    setTimeout(() => stream.destroy(), 5);
    await expect((async () => {
      for await (const _ of chunksOf(stream));
    })()).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('destroys the stream when the reader stops early', async () => {
    const stream = new PassThrough();
    stream.write(Buffer.from('a'));
    for await (const _ of chunksOf(stream)) break;
    expect(stream.destroyed).toBe(true);
  });
});

/**
 * withholdTail: the output carries every chunk as it is read, except the last, which waits for the
 * verification; a failed verification fails the output instead, and a reader that leaves stops it.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LighterError } from '../../../src-main/core/errors';
import { withholdTail } from '../../../src-main/core/archive/withheld-tail';

const chunks = [Buffer.from('first'), Buffer.from('second'), Buffer.from('last')];

/** A verification that reads everything, then waits for `gate` before giving its answer. */
function gated(answer: () => string) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const verify = async (input: AsyncIterable<Buffer>) => {
    const seen: string[] = [];
    for await (const chunk of input) seen.push(chunk.toString());
    await gate;
    return `${answer()}:${seen.join(',')}`;
  };
  return { verify, open };
}

function reader(stream: Readable) {
  const received: string[] = [];
  let failure: unknown;
  let ended = false;
  stream.on('data', (c: Buffer) => received.push(c.toString()));
  stream.on('error', (e) => (failure = e));
  stream.on('end', () => (ended = true));
  return { received, failure: () => failure, ended: () => ended };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

describe('withholdTail', () => {
  it('sends all but the last chunk while the verification runs, the last one after it held', async () => {
    const { verify, open } = gated(() => 'ok');
    const { stream, verified } = withholdTail(Readable.from(chunks), verify);
    const out = reader(stream);
    await settle();
    expect(out.received).toEqual(['first', 'second']);
    expect(out.ended()).toBe(false);
    open();
    expect(await verified).toBe('ok:first,second,last');
    await settle();
    expect(out.received).toEqual(['first', 'second', 'last']);
    expect(out.ended()).toBe(true);
  });

  it('a failed verification fails the output with its error; the last chunk never goes', async () => {
    const { verify, open } = gated(() => {
      throw new LighterError('DIGEST_MISMATCH', 'layer 1 is not what the config says');
    });
    const { stream, verified } = withholdTail(Readable.from(chunks), verify);
    const out = reader(stream);
    await settle();
    open();
    await expect(verified).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    await settle();
    expect(out.received).toEqual(['first', 'second']);
    expect(out.failure()).toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(out.ended()).toBe(false);
  });

  it('passes on what the verification did not need to read (bytes after a tar end marker)', async () => {
    const { stream, verified } = withholdTail(Readable.from(chunks), async (input) => {
      for await (const chunk of input) if (chunk.toString() === 'first') return 'stopped early';
      return 'read all';
    });
    const out = reader(stream);
    expect(await verified).toBe('stopped early');
    await settle();
    expect(out.received).toEqual(['first', 'second', 'last']);
    expect(out.ended()).toBe(true);
  });

  it('a reader that goes away stops the verification and the input', async () => {
    let produced = 0;
    const input = Readable.from(
      (function* () {
        for (;;) {
          produced++;
          yield Buffer.alloc(1 << 20);
        }
      })(),
    );
    const { stream, verified } = withholdTail(input, async (chunks) => {
      for await (const _ of chunks);
      return 'never';
    });
    stream.once('data', () => stream.destroy());
    await expect(verified).rejects.toMatchObject({ code: 'CANCELLED' });
    const stoppedAt = produced;
    await settle();
    expect(produced).toBe(stoppedAt);
    expect(input.destroyed).toBe(true);
  });
});

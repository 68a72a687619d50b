/**
 * withholdTail: the output carries every chunk as it is read, except the last, which waits for the
 * verification; a failed verification fails the output instead, and a reader that leaves stops it.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LighterError } from '../../../src-main/core/errors';
import { withholdTail } from '../../../src-main/core/archive/withheld-tail';
import { chunksOf } from '../../../src-main/core/archive/stream-chunks';
import { readTar } from '../../../src-main/core/archive/tar-reader';
import { tarEnd, tarEntry } from '../../../src-main/core/archive/tar-writer';
import { giveBack, slabsReused } from '../../../src-main/core/http/read-slabs';
import { throughSlabs } from '../../support/slab-stream';

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

  it('with chunks in read slabs, both readers give theirs back and each still reads every byte as read', async () => {
    const members = Array.from({ length: 12 }, (_, i) => ({ path: `m${i}`, data: randomBytes((i % 3) * (1 << 20) + 777) }));
    const parts: Buffer[] = [];
    for (const m of members) for await (const part of tarEntry({ path: m.path, size: m.data.length }, m.data)) parts.push(part);
    const tar = Buffer.concat([...parts, tarEnd()]);
    const reusedBefore = slabsReused();
    const input = Readable.from(throughSlabs(tar, 100_000));
    // The verification reads each member's first bytes and skips the rest (the tar reader gives those back).
    const { stream, verified } = withholdTail(input, async (chunks) => {
      const starts: string[] = [];
      for await (const entry of readTar(chunks)) {
        for await (const piece of entry.body) {
          starts.push(`${entry.path}:${(piece as Buffer).subarray(0, 8).toString('hex')}`);
          break;
        }
      }
      return starts;
    });
    const copies: Buffer[] = [];
    for await (const chunk of chunksOf(stream)) {
      copies.push(Buffer.from(chunk));
      giveBack(chunk);
    }
    expect(Buffer.concat(copies).equals(tar)).toBe(true);
    expect(await verified).toEqual(members.map((m) => `${m.path}:${m.data.subarray(0, 8).toString('hex')}`));
    expect(slabsReused() - reusedBefore).toBeGreaterThan(5);
  });
});

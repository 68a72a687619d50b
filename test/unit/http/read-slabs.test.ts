/**
 * Read slabs are read into again only once every byte handed out of them came back, and never
 * while a reader still fills them; shared chunks need every reader's share back.
 */
import { describe, expect, it } from 'vitest';
import { fileSlabSize, giveBack, share, SlabReader, slabsReused, socketSlabSize } from '../../../src-main/core/http/read-slabs';

const slab = socketSlabSize;

/** Fills one whole slab with `pieces` reads of equal size; returns the chunks. */
function fill(reader: SlabReader, pieces: number, value: number): Buffer[] {
  const size = slab / pieces;
  return Array.from({ length: pieces }, () => {
    reader.space(size).fill(value, 0, size);
    return reader.took(size);
  });
}

/** The memory a reader reads into next once its current slab is full. */
function nextSpace(reader: SlabReader): Buffer {
  return reader.space(slab);
}

describe('read slabs', () => {
  it('reuses a full slab once all of it came back, and not before', () => {
    const reader = new SlabReader();
    const chunks = fill(reader, 4, 1);
    chunks.slice(0, 3).forEach((c) => giveBack(c));
    const before = slabsReused();
    const other = new SlabReader();
    const fresh = nextSpace(reader); // the first slab is full: a new one
    expect(fresh.buffer).not.toBe(chunks[0].buffer);
    expect(other.space(1).buffer).not.toBe(chunks[0].buffer); // one chunk is still out
    expect(chunks[3].every((b) => b === 1)).toBe(true);
    giveBack(chunks[3]);
    const third = new SlabReader();
    expect(third.space(1).buffer).toBe(chunks[0].buffer);
    expect(slabsReused()).toBe(before + 1);
  });

  it('never reuses a slab its reader still reads into, even when all it handed out came back', () => {
    const reader = new SlabReader();
    reader.space(1024);
    const chunk = reader.took(1024);
    giveBack(chunk);
    const other = new SlabReader();
    expect(other.space(1).buffer).not.toBe(chunk.buffer);
    reader.close();
    expect(new SlabReader().space(1).buffer).toBe(chunk.buffer);
  });

  it('counts bytes, so a chunk split on the way comes back in parts', () => {
    const reader = new SlabReader();
    const [chunk] = fill(reader, 1, 2);
    reader.close();
    giveBack(chunk.subarray(0, 1000));
    expect(new SlabReader().space(1).buffer).not.toBe(chunk.buffer);
    giveBack(chunk.subarray(1000));
    expect(new SlabReader().space(1).buffer).toBe(chunk.buffer);
  });

  it('a shared chunk needs both readers to give it back', () => {
    const reader = new SlabReader();
    const [chunk] = fill(reader, 1, 3);
    reader.close();
    share(chunk);
    giveBack(chunk);
    expect(new SlabReader().space(1).buffer).not.toBe(chunk.buffer);
    giveBack(chunk);
    expect(new SlabReader().space(1).buffer).toBe(chunk.buffer);
  });

  it('sharing a chunk of the slab still being read into leaves the reads where they were', () => {
    const reader = new SlabReader();
    reader.space(1000).fill(5, 0, 1000);
    const first = reader.took(1000);
    share(first);
    const next = reader.space(1000);
    expect(next.byteOffset - first.byteOffset).toBe(1000);
  });

  it('refuses more bytes back than were handed out, and ignores memory not its own', () => {
    const reader = new SlabReader();
    const [chunk] = fill(reader, 1, 4);
    giveBack(chunk);
    expect(() => giveBack(chunk)).toThrow('given back twice');
    expect(() => giveBack(Buffer.alloc(10))).not.toThrow();
  });

  it('a reader of files reads into larger slabs, which go back to readers of their own size only', () => {
    const files = new SlabReader(fileSlabSize);
    const space = files.space(1);
    expect(space.length).toBe(fileSlabSize);
    const chunk = files.took(fileSlabSize);
    files.close();
    giveBack(chunk);
    const socket = new SlabReader();
    expect(socket.space(1).length).toBe(socketSlabSize);
    expect(socket.space(1).buffer).not.toBe(chunk.buffer);
    expect(new SlabReader(fileSlabSize).space(1).buffer).toBe(chunk.buffer);
  });
});

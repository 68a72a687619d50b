/**
 * Memory that large bodies are read into, read into again once everything handed out of it has
 * come back. Fresh memory costs a page fault per 4 KiB page on first touch, and where a machine's
 * page tables are virtualised a fault is dear: ≈13 µs on the 2-core bench machine, where 604 MB
 * read into fresh slabs took ≈57,000 faults (≈0.7 s) and the allocator gave the freed slabs back
 * to the system before the next ones were taken. Reused memory faults no more.
 *
 * The rule that keeps reuse safe: a chunk is given back by its last holder only, once nothing will
 * read it again (its bytes are in a file, or copied elsewhere). Every byte of a slab is counted: the
 * slab is read into again only when it is full and every byte handed out of it came back. A chunk
 * never given back leaves its slab to the garbage collector, as any buffer. A chunk that goes to
 * several readers (a tee) is shared first, once per extra reader, and each gives back its own share.
 */

/** A socket's reads bring what has arrived, rarely over 64 KiB: slabs of 512 KiB hold several. */
export const socketSlabSize = 512 * 1024;
/**
 * A file's reads bring all that is asked: 2 MiB slabs make a quarter of the reads, writes and
 * turns of the event loop that 512 KiB ones do (a 604 MB load took 0.16 s less CPU).
 */
export const fileSlabSize = 2 * 1024 * 1024;
/** Full slabs kept for reuse, per size: at most 32 MB; more go to the garbage collector. */
const keptBytes = 32 << 20;

interface Slab {
  memory: Buffer;
  /** Bytes read into it: where the next read goes. */
  filled: number;
  /** Bytes to come back: each byte read, once per reader holding it. */
  handedOut: number;
  givenBack: number;
  /** No more reads go into it. */
  full: boolean;
}

const slabOf = new WeakMap<ArrayBufferLike, Slab>();
/** Free slabs by size. */
const free = new Map<number, Slab[]>();
let reused = 0;

function freeOfSize(size: number): Slab[] {
  let slabs = free.get(size);
  if (!slabs) free.set(size, (slabs = []));
  return slabs;
}

function takeSlab(size: number): Slab {
  const slab = freeOfSize(size).pop();
  if (slab) {
    reused++;
    slab.filled = slab.handedOut = slab.givenBack = 0;
    slab.full = false;
    return slab;
  }
  const fresh: Slab = { memory: Buffer.allocUnsafeSlow(size), filled: 0, handedOut: 0, givenBack: 0, full: false };
  slabOf.set(fresh.memory.buffer, fresh);
  return fresh;
}

function settle(slab: Slab): void {
  if (!slab.full || slab.givenBack !== slab.handedOut) return;
  const kept = freeOfSize(slab.memory.length);
  if (kept.length * slab.memory.length < keptBytes && !kept.includes(slab)) kept.push(slab);
}

/** Reads for one connection or file, one slab after another. */
export class SlabReader {
  private slab: Slab;

  constructor(private readonly slabSize = socketSlabSize) {
    this.slab = takeSlab(slabSize);
  }

  /** Where the next read goes: what is left of the current slab, or a new one when less than `minRead` is. */
  space(minRead: number): Buffer {
    if (this.slabSize - this.slab.filled < minRead) {
      this.close();
      this.slab = takeSlab(this.slabSize);
    }
    return this.slab.memory.subarray(this.slab.filled);
  }

  /** `bytes` were read into the last space: they come out as a chunk, handed out. */
  took(bytes: number): Buffer {
    const slab = this.slab;
    const chunk = slab.memory.subarray(slab.filled, slab.filled + bytes);
    slab.filled += bytes;
    slab.handedOut += bytes;
    return chunk;
  }

  /** No more reads: the current slab may be reused once its chunks are back. */
  close(): void {
    this.slab.full = true;
    settle(this.slab);
  }
}

/**
 * `bytes` of `chunk` (all of it by default) will not be read again by anyone: its slab, if it came
 * from one, may be read into again. Only the chunk's last holder may say so, once.
 */
export function giveBack(chunk: Uint8Array, bytes = chunk.byteLength): void {
  const slab = slabOf.get(chunk.buffer);
  if (!slab || bytes === 0) return;
  slab.givenBack += bytes;
  if (slab.givenBack > slab.handedOut) throw new Error('A read buffer was given back twice');
  settle(slab);
}

/** One more reader holds `chunk` (a tee), and will give it back on its own: call before handing it to either. */
export function share(chunk: Uint8Array): void {
  const slab = slabOf.get(chunk.buffer);
  if (slab) slab.handedOut += chunk.byteLength;
}

/** Gives back every chunk of `chunks`. */
export function giveBackAll(chunks: readonly Uint8Array[]): void {
  for (const chunk of chunks) giveBack(chunk);
}

/** How many times a slab was read into again (for tests). */
export function slabsReused(): number {
  return reused;
}

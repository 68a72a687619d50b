/**
 * A bzip2 decoder for untrusted input, in plain JS. A block is decoded once all of it has arrived
 * (tried when about as much input as the last block took is there, and again from its start if that
 * was not all of it), and its output is handed out in pieces of at most 1 MiB, only as the reader
 * asks: a block of 900 kB can stand for 46 MB of output, and a file of 1 kB for gigabytes, so output
 * is never made ahead of the reader. Every table, pointer and run is checked before it is used.
 *
 * The format, in decoding order: "BZh" and the block size (1–9 × 100 000); blocks, each with a
 * 48-bit magic, its CRC, a map of the byte values it uses, 2–6 Huffman tables and the selectors that
 * say which table codes each group of 50 symbols; the symbols (move-to-front indexes, with zero runs
 * written in bijective base 2) rebuild the Burrows–Wheeler transform of the block, which is undone
 * and then run-length decoded (4 equal bytes are followed by a count of more). An end-of-stream magic
 * and the CRC of the whole stream close it; another stream may follow.
 */

/** Why the data is not valid bzip2; the message finishes "Corrupt bzip2 data in X: …". */
export class Bzip2DataError extends Error {}

const pieceBytes = 1 << 20;
/** A block's compressed bits never come near this (≈1.01 × 900 kB for random data): a longer one is damaged. */
const maxBlockInput = 8 << 20;
/** Codes are looked up this many bits at a time; longer ones (rare) bit by bit. */
const lookupBits = 10;
const maxCodeLength = 20;
const maxGroups = 6;
/** One selector per 50 symbols of a 900 000-byte block, and one spare; more are read and ignored. */
const maxSelectors = 18_001;

const crcTable = (() => {
  const table = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[i] = c;
  }
  return table;
})();

function damaged(detail = 'a block is damaged'): Bzip2DataError {
  return new Bzip2DataError(detail);
}

/** Thrown inside a block when its bits run past the input received so far. */
const needInput = Symbol('needInput');

/** A Huffman table: a lookup by the next `lookupBits` bits, and canonical ranges for longer codes. */
class CodeTable {
  /** symbol << 5 | length; -1: a longer code starts here; -2: no code starts here. */
  readonly lookup = new Int32Array(1 << lookupBits);
  readonly firstCode = new Int32Array(maxCodeLength + 2);
  readonly count = new Int32Array(maxCodeLength + 2);
  readonly offset = new Int32Array(maxCodeLength + 2);
  readonly symbols = new Uint16Array(258);
  maxLength = 0;

  build(lengths: Uint8Array, alphaSize: number): void {
    this.count.fill(0);
    this.maxLength = 0;
    for (let s = 0; s < alphaSize; s++) {
      this.count[lengths[s]]++;
      if (lengths[s] > this.maxLength) this.maxLength = lengths[s];
    }
    let code = 0;
    let at = 0;
    for (let length = 1; length <= this.maxLength; length++) {
      this.firstCode[length] = code;
      this.offset[length] = at;
      at += this.count[length];
      code += this.count[length];
      if (code > 1 << length) throw damaged('a Huffman table is invalid');
      code <<= 1;
    }
    // Symbols in canonical order: by code length, then by value.
    const next = this.offset.slice();
    for (let s = 0; s < alphaSize; s++) this.symbols[next[lengths[s]]++] = s;
    this.lookup.fill(-2);
    for (let length = 1; length <= this.maxLength; length++) {
      for (let i = 0; i < this.count[length]; i++) {
        const symbol = this.symbols[this.offset[length] + i];
        const value = this.firstCode[length] + i;
        if (length <= lookupBits) {
          const span = 1 << (lookupBits - length);
          this.lookup.fill((symbol << 5) | length, value * span, value * span + span);
        } else {
          this.lookup[value >>> (length - lookupBits)] = -1;
        }
      }
    }
  }
}

/** Where a block's output stands while it is handed out. */
interface Walk {
  position: number;
  left: number;
  last: number;
  run: number;
  repeat: number;
  crc: number;
  expectedCrc: number;
}

export class Bzip2Decoder {
  private input = new Uint8Array(0);
  /** Next byte to load into the bit buffer. */
  private position = 0;
  private bitBuffer = 0;
  private bitCount = 0;
  private ended = false;
  /** Block size in 100 000 bytes; 0 before a stream header. */
  private level = 0;
  private streamCrc = 0;
  private finished = false;
  /** Input needed before a block is tried again, after it ran past what had arrived. */
  private retryAt = 0;
  /** Compressed bytes the last block took. */
  private lastBlockBytes = 0;
  private tt = new Uint32Array(0);
  private walk?: Walk;
  private readonly tables = Array.from({ length: maxGroups }, () => new CodeTable());
  private readonly lengths = Array.from({ length: maxGroups }, () => new Uint8Array(258));
  private readonly selectors = new Uint8Array(maxSelectors);
  private readonly byteCounts = new Int32Array(256);

  /** Adds input; keeps only what is not decoded yet. */
  push(chunk: Uint8Array): void {
    const rest = this.input.subarray(this.position);
    const joined = new Uint8Array(rest.length + chunk.length);
    joined.set(rest);
    joined.set(chunk, rest.length);
    this.input = joined;
    this.position = 0;
  }

  /** No more input comes: what is left must decode completely. */
  end(): void {
    this.ended = true;
  }

  /** Output that can be made from the input so far, in pieces, made only as they are taken. */
  *pieces(): Generator<Uint8Array> {
    for (;;) {
      if (this.walk) {
        const piece = this.nextPiece(this.walk);
        if (piece.length > 0) yield piece;
        else this.endBlock(this.walk);
        continue;
      }
      if (this.finished || !this.startBlock()) return;
    }
  }

  /** Bits not consumed yet. */
  private get available(): number {
    return (this.input.length - this.position) * 8 + this.bitCount;
  }

  /**
   * Reads headers up to the next block and decodes it (all but its output). False when more input
   * is needed first, or the input is done.
   */
  private startBlock(): boolean {
    const bytes = this.available / 8;
    // Blocks of a stream compress to similar sizes: wait for about as much as the last one took
    // (a block tried too early is decoded again from its start once more has arrived).
    const enough = this.retryAt || (this.lastBlockBytes ? this.lastBlockBytes * 1.1 + 4096 : 65_536);
    if (!this.ended && bytes < enough) return false;
    const saved = { position: this.position, bitBuffer: this.bitBuffer, bitCount: this.bitCount, level: this.level, streamCrc: this.streamCrc };
    try {
      this.readBlock();
      this.retryAt = 0;
      this.lastBlockBytes = bytes - this.available / 8;
      return true;
    } catch (e) {
      if (e !== needInput) throw e;
      if (this.ended) throw damaged('it ends early');
      if (bytes > maxBlockInput) throw damaged();
      Object.assign(this, saved);
      // Then wait for what the largest real block takes (≈1.02 × the block size), and beyond it grow geometrically.
      this.retryAt = Math.max(bytes + 65_536, bytes * 1.5, (this.level || 9) * 102_000 + 4096);
      return false;
    }
  }

  private bits(n: number): number {
    while (this.bitCount < n) {
      if (this.position >= this.input.length) throw needInput;
      this.bitBuffer = (this.bitBuffer << 8) | this.input[this.position++];
      this.bitCount += 8;
    }
    this.bitCount -= n;
    return (this.bitBuffer >>> this.bitCount) & ((1 << n) - 1);
  }

  private readStreamHeader(): void {
    const magic = this.bits(24);
    const level = this.bits(8) - 0x30;
    if (magic !== 0x425a68 || level < 1 || level > 9) throw damaged('no bzip2 stream starts where one should (not bzip2, or trailing garbage)');
    this.level = level;
    this.streamCrc = 0;
    // Blocks sized to what the stream says; a hostile header cannot ask for more than 900 000.
    if (this.tt.length < level * 100_000) this.tt = new Uint32Array(level * 100_000);
  }

  /** Reads the next block, or the end of a stream (and the next stream's header). */
  private readBlock(): void {
    for (;;) {
      if (this.level === 0) this.readStreamHeader();
      const magicHigh = this.bits(24);
      const magicLow = this.bits(24);
      if (magicHigh === 0x314159 && magicLow === 0x265359) return this.readBlockBody();
      if (magicHigh !== 0x177245 || magicLow !== 0x385090) throw damaged();
      const crc = ((this.bits(16) << 16) | this.bits(16)) >>> 0;
      if (crc !== this.streamCrc >>> 0) throw damaged('the stream checksum does not match');
      this.bitCount -= this.bitCount % 8; // streams end on a byte boundary
      this.level = 0;
      if (this.available === 0) {
        if (this.ended) {
          this.finished = true;
          return;
        }
        throw needInput;
      }
    }
  }

  private readBlockBody(): void {
    const expectedCrc = ((this.bits(16) << 16) | this.bits(16)) >>> 0;
    if (this.bits(1)) throw damaged('it uses randomised blocks (bzip2 0.9.0 and older), which are not supported');
    const origin = this.bits(24);

    // The byte values the block uses, in order.
    const used = new Uint8Array(256);
    let usedCount = 0;
    const ranges = this.bits(16);
    for (let i = 0; i < 16; i++) {
      if (!(ranges & (0x8000 >>> i))) continue;
      const map = this.bits(16);
      for (let j = 0; j < 16; j++) if (map & (0x8000 >>> j)) used[usedCount++] = i * 16 + j;
    }
    if (usedCount === 0) throw damaged();
    const alphaSize = usedCount + 2;

    const groups = this.bits(3);
    const selectorCount = this.bits(15);
    if (groups < 2 || groups > maxGroups || selectorCount === 0) throw damaged();
    const order = [0, 1, 2, 3, 4, 5];
    for (let i = 0; i < selectorCount; i++) {
      let j = 0;
      while (this.bits(1)) if (++j >= groups) throw damaged();
      const table = order[j];
      order.splice(j, 1);
      order.unshift(table);
      if (i < maxSelectors) this.selectors[i] = table;
    }
    const selectors = Math.min(selectorCount, maxSelectors);

    for (let t = 0; t < groups; t++) {
      const lengths = this.lengths[t];
      let length = this.bits(5);
      for (let s = 0; s < alphaSize; s++) {
        for (;;) {
          if (length < 1 || length > maxCodeLength) throw damaged();
          if (!this.bits(1)) break;
          length += this.bits(1) ? -1 : 1;
        }
        lengths[s] = length;
      }
      this.tables[t].build(lengths, alphaSize);
    }

    const size = this.decodeSymbols(used, alphaSize, selectors);
    if (origin >= size) throw damaged();
    this.undoTransform(size);
    this.walk = { position: this.tt[origin] >>> 8, left: size, last: -1, run: 0, repeat: 0, crc: -1, expectedCrc };
  }

  /** The move-to-front symbols, zero runs expanded, into the low bytes of `tt`; returns the block's length. */
  private decodeSymbols(used: Uint8Array, alphaSize: number, selectors: number): number {
    const tt = this.tt;
    const limit = this.level * 100_000;
    const counts = this.byteCounts;
    counts.fill(0);
    const front = new Uint8Array(256);
    for (let i = 0; i < 256; i++) front[i] = i;
    const endOfBlock = alphaSize - 1;
    const input = this.input;
    let { position, bitBuffer, bitCount } = this;
    let size = 0;
    let run = 0;
    let weight = 1;
    let group = 0;
    let left = 0;
    let table = this.tables[0];
    // Codes are looked up ahead of the input that has arrived (as zeros): what looks damaged there
    // may just be cut off, and waits for more input instead.
    const fail = () => (position * 8 - bitCount + maxCodeLength > input.length * 8 ? needInput : damaged());
    for (;;) {
      if (left === 0) {
        if (group >= selectors) throw fail();
        table = this.tables[this.selectors[group++]];
        left = 50;
        if (position * 8 - bitCount > input.length * 8) throw needInput;
      }
      left--;
      // The next code: looked up by its first bits, or read bit by bit when longer.
      while (bitCount < 24) {
        bitBuffer = (bitBuffer << 8) | input[position++];
        bitCount += 8;
      }
      let entry = table.lookup[(bitBuffer >>> (bitCount - lookupBits)) & ((1 << lookupBits) - 1)];
      if (entry === -1) {
        entry = -2;
        for (let length = lookupBits + 1; length <= table.maxLength; length++) {
          const code = (bitBuffer >>> (bitCount - length)) & ((1 << length) - 1);
          const index = code - table.firstCode[length];
          if (index >= 0 && index < table.count[length]) {
            entry = (table.symbols[table.offset[length] + index] << 5) | length;
            break;
          }
        }
      }
      if (entry < 0) throw fail();
      bitCount -= entry & 31;
      const symbol = entry >>> 5;

      if (symbol <= 1) {
        // RUNA adds 1 × weight, RUNB 2 × weight: a run of the front byte.
        if (weight > limit) throw fail();
        run += (symbol + 1) * weight;
        weight <<= 1;
        continue;
      }
      if (run > 0) {
        if (size + run > limit) throw fail();
        const value = used[front[0]];
        counts[value] += run;
        tt.fill(value, size, size + run);
        size += run;
        run = 0;
        weight = 1;
      }
      if (symbol === endOfBlock) break;
      if (size >= limit) throw fail();
      const index = symbol - 1;
      const picked = front[index];
      if (index < 16) for (let k = index; k > 0; k--) front[k] = front[k - 1];
      else front.copyWithin(1, 0, index);
      front[0] = picked;
      const value = used[picked];
      counts[value]++;
      tt[size++] = value;
    }
    if (position * 8 - bitCount > input.length * 8) throw needInput;
    // Bytes looked ahead past the input are not there yet: unread them.
    while (position > input.length) {
      position--;
      bitBuffer >>>= 8;
      bitCount -= 8;
    }
    this.position = position;
    this.bitBuffer = bitBuffer;
    this.bitCount = bitCount;
    return size;
  }

  /** Links every byte of the block to the one after it in the original order (in `tt`'s high bits). */
  private undoTransform(size: number): void {
    const tt = this.tt;
    const starts = new Int32Array(256);
    for (let b = 0, sum = 0; b < 256; b++) {
      starts[b] = sum;
      sum += this.byteCounts[b];
    }
    for (let i = 0; i < size; i++) tt[starts[tt[i] & 0xff]++] |= i << 8;
  }

  /** The next piece of a block's output (empty once the block is all out), run-length decoded and added to its CRC. */
  private nextPiece(walk: Walk): Uint8Array {
    const tt = this.tt;
    const out = new Uint8Array(pieceBytes);
    let { position, left, last, run, repeat, crc } = walk;
    let at = 0;
    while (at < pieceBytes) {
      if (repeat > 0) {
        const n = Math.min(repeat, pieceBytes - at);
        out.fill(last, at, at + n);
        for (let k = 0; k < n; k++) crc = (crc << 8) ^ crcTable[((crc >>> 24) ^ last) & 0xff];
        at += n;
        repeat -= n;
        continue;
      }
      if (left === 0) break;
      position = tt[position];
      const value = position & 0xff;
      position >>>= 8;
      left--;
      if (run === 4) {
        repeat = value; // four equal bytes, then how many more
        run = 0;
        continue;
      }
      if (value === last) run++;
      else {
        last = value;
        run = 1;
      }
      out[at++] = value;
      crc = (crc << 8) ^ crcTable[((crc >>> 24) ^ value) & 0xff];
    }
    Object.assign(walk, { position, left, last, run, repeat, crc });
    // A small block's output is copied out of the 1 MiB piece rather than keep all of it.
    return at < pieceBytes >> 4 ? out.slice(0, at) : out.subarray(0, at);
  }

  private endBlock(walk: Walk): void {
    const crc = ~walk.crc >>> 0;
    if (crc !== walk.expectedCrc) throw damaged('a block checksum does not match');
    this.streamCrc = ((this.streamCrc << 1) | (this.streamCrc >>> 31)) ^ crc;
    this.walk = undefined;
  }
}

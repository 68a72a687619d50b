import { Readable } from 'node:stream';
import { LighterError, throwIfAborted } from '../errors';
import { ByteReader } from './byte-reader';
import { resolveLimits, type ArchiveLimits } from './limits';
import { BLOCK, decodeHeader, entryTypeOf, hasNoData, isZeroBlock, paddedSize, parsePax, paxNumber, type TarEntryType } from './tar-header';

export interface TarEntry {
  /** As recorded (pax/GNU long names applied), not normalised: callers judge safety. */
  path: string;
  type: TarEntryType;
  /** Bytes of data in the body (0 for directories and links). */
  size: number;
  linkname: string;
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
  uid: number;
  gid: number;
  typeflag: string;
  /** Offset of the entry's first header block (pax/GNU headers included) in the tar stream. */
  headerOffset: number;
  /** Offset of the first data byte in the tar stream. */
  dataOffset: number;
  /**
   * The data. Read it (or not) before asking for the next entry: entries are consumed in order and
   * whatever is left unread is skipped when the reader moves on.
   */
  body: Readable;
}

export type TarReadOptions = Partial<Pick<ArchiveLimits, 'maxEntries' | 'maxPathLength' | 'maxPathDepth' | 'maxEntrySize' | 'maxMetaSize'>> & {
  signal?: AbortSignal;
};

function invalid(message: string): LighterError {
  return new LighterError('ARCHIVE_INVALID', message);
}

/** A body that pulls from the shared reader only while its entry is current. */
class EntryBody extends Readable {
  private pending?: Promise<void>;
  private detached = false;

  constructor(
    private readonly reader: ByteReader,
    private remaining: number,
    private readonly describe: () => string,
  ) {
    super({ highWaterMark: 256 * 1024 });
  }

  override _read(): void {
    if (this.detached) {
      // Reading after the reader moved on is a caller bug; fail loudly where someone listens.
      if (this.listenerCount('error') > 0) this.destroy(new LighterError('INTERNAL', `Tar ${this.describe()} was read after the reader moved on`));
      else this.push(null);
      return;
    }
    if (this.remaining === 0) {
      this.push(null);
      return;
    }
    this.pending = this.reader.readSome(Math.min(this.remaining, 256 * 1024)).then(
      (chunk) => {
        this.pending = undefined;
        if (chunk.length === 0) {
          this.destroy(truncated(this.describe()));
          return;
        }
        this.remaining -= chunk.length;
        this.push(chunk);
        if (this.remaining === 0) this.push(null);
      },
      (error: unknown) => {
        this.pending = undefined;
        this.destroy(error as Error);
      },
    );
  }

  /** Waits for any read in flight, then hands the rest of the data back to the reader. */
  async detach(): Promise<number> {
    await this.pending;
    this.detached = true;
    return this.remaining;
  }
}

function truncated(what: string): LighterError {
  return invalid(`Truncated tar: ${what} ends before its data does`);
}

async function readMeta(reader: ByteReader, size: number, limits: TarReadOptions & { maxMetaSize: number }, offset: number): Promise<Buffer> {
  if (size > limits.maxMetaSize) throw invalid(`Tar extended header at offset ${offset} is ${size} bytes (limit ${limits.maxMetaSize})`);
  const data = await reader.read(size);
  if (data.length < size) throw truncated(`extended header at offset ${offset}`);
  if ((await reader.skip(paddedSize(size) - size)) < paddedSize(size) - size) throw truncated(`extended header at offset ${offset}`);
  return data;
}

function nulTerminated(data: Buffer): string {
  const end = data.indexOf(0);
  return data.subarray(0, end < 0 ? data.length : end).toString('utf8');
}

/**
 * Reads a tar stream entry by entry (ustar, pax, GNU long names and base-256 sizes). Never touches
 * the file system. Stops at the end-of-archive block; input that ends without one is truncated.
 */
export async function* readTar(input: AsyncIterable<Buffer | Uint8Array>, options: TarReadOptions = {}): AsyncGenerator<TarEntry, void, undefined> {
  const limits = { ...resolveLimits(), ...definedOnly(options) };
  const reader = ByteReader.from(input);
  let entries = 0;
  let metaHeaders = 0;
  let pax: Map<string, string> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  let entryStart: number | undefined;

  try {
    for (;;) {
      throwIfAborted(options.signal);
      const headerOffset = reader.position;
      const block = await reader.read(BLOCK);
      if (block.length < BLOCK) {
        if (headerOffset === 0) throw invalid(block.length === 0 ? 'Not a tar archive: the file is empty' : 'Not a tar archive: shorter than one header block');
        if (block.length > 0) throw invalid(`Truncated tar: the archive ends at offset ${headerOffset + block.length} in the middle of a header`);
        throw invalid(`Truncated tar: the archive ends at offset ${headerOffset} without an end-of-archive marker`);
      }
      if (isZeroBlock(block)) {
        if (headerOffset === 0) throw invalid('Not a tar archive: it starts with an empty block');
        return;
      }
      const raw = decodeHeader(block, headerOffset);
      entryStart ??= headerOffset;
      const typeflag = raw.typeflag;

      if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
        if (++metaHeaders > limits.maxEntries * 3 + 16) throw invalid(`Tar has too many extended headers (limit ${limits.maxEntries * 3 + 16})`);
        const data = await readMeta(reader, raw.size, limits, headerOffset);
        if (typeflag === 'x') pax = parsePax(data, headerOffset);
        else if (typeflag === 'g') parsePax(data, headerOffset); // validated, then ignored as Go's reader does
        else if (typeflag === 'L') longName = nulTerminated(data);
        else longLink = nulTerminated(data);
        continue;
      }

      let path = longName ?? (raw.prefix ? `${raw.prefix}/${raw.name}` : raw.name);
      let linkname = longLink ?? raw.linkname;
      let size = raw.size;
      let { mtime, uid, gid } = raw;
      if (pax) {
        if (pax.has('path')) path = pax.get('path')!;
        if (pax.has('linkpath')) linkname = pax.get('linkpath')!;
        if (pax.has('size')) size = paxNumber(pax.get('size')!, 'size', headerOffset);
        if (pax.has('mtime')) mtime = paxNumber(pax.get('mtime')!, 'mtime', headerOffset);
        if (pax.has('uid')) uid = paxNumber(pax.get('uid')!, 'uid', headerOffset);
        if (pax.has('gid')) gid = paxNumber(pax.get('gid')!, 'gid', headerOffset);
      }
      const start = entryStart;
      pax = undefined;
      longName = undefined;
      longLink = undefined;
      entryStart = undefined;

      if (++entries > limits.maxEntries) throw invalid(`Tar has more than ${limits.maxEntries} entries`);
      checkPath(path, start, limits);
      if (linkname.includes('\0')) throw invalid(`Invalid tar entry at offset ${start}: link target contains a NUL byte`);
      const type = entryTypeOf(typeflag);
      const dataSize = hasNoData(type) ? 0 : size;
      if (dataSize > limits.maxEntrySize) throw invalid(`Tar entry "${shorten(path)}" claims ${dataSize} bytes (limit ${limits.maxEntrySize})`);

      const describe = () => `entry "${shorten(path)}"`;
      const body = new EntryBody(reader, dataSize, describe);
      const dataOffset = reader.position;
      try {
        yield { path, type, size: dataSize, linkname, mode: raw.mode, mtime, uid, gid, typeflag, headerOffset: start, dataOffset, body };
      } finally {
        await body.detach();
      }
      const toSkip = (await body.detach()) + (paddedSize(dataSize) - dataSize);
      if ((await reader.skip(toSkip)) < toSkip) throw truncated(describe());
    }
  } finally {
    await reader.close();
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkPath(path: string, offset: number, limits: { maxPathLength: number; maxPathDepth: number }): void {
  if (path === '') throw invalid(`Invalid tar entry at offset ${offset}: empty path`);
  if (path.includes('\0')) throw invalid(`Invalid tar entry at offset ${offset}: path contains a NUL byte`);
  if (Buffer.byteLength(path) > limits.maxPathLength) throw invalid(`Tar entry path at offset ${offset} is longer than ${limits.maxPathLength} bytes`);
  const depth = path.split('/').filter((part) => part !== '' && part !== '.').length;
  if (depth > limits.maxPathDepth) throw invalid(`Tar entry path at offset ${offset} is deeper than ${limits.maxPathDepth} levels`);
}

export function shorten(path: string, max = 120): string {
  return path.length <= max ? path : `${path.slice(0, max)}…`;
}

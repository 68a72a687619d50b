import { linkTargetPath, normalizeMemberPath } from './archive-path';
import { detectCompression, MAGIC_LENGTH } from './compression';
import type { ArchiveLimits } from './limits';
import { metadataNames } from './scan-archive';
import { BLOCK, decodeHeader, entryTypeOf, isZeroBlock, paddedSize, parsePax, paxNumber } from './tar-header';

/** Reads `length` bytes at `position`; fewer at the end of the file. */
export type ReadAt = (length: number, position: number) => Promise<Buffer>;

/** A regular file in the tar: where its data lies. */
export interface TarFileSpan {
  path: string;
  dataOffset: number;
  size: number;
}

export interface PeekedTar {
  /** manifest.json, index.json, repositories, oci-layout: those present. */
  metadata: Map<string, Buffer>;
  /** Every regular file, in the order of the tar. */
  files: TarFileSpan[];
}

/**
 * The metadata files (manifest.json, index.json, repositories, oci-layout) of an uncompressed tar
 * file, and where every file's data lies, found by walking its headers and skipping every member's
 * data: a few small reads whatever the archive's size. On the way every header passes the checks
 * the full read makes of structure (paths, links, entry types, sizes, the end marker), so an
 * archive this accepts holds nothing hostile but possibly wrong bytes, which the full read then
 * catches by their digests. Anything unusual (compressed, malformed, over the limits) gives
 * undefined: the full read then says precisely what is wrong.
 */
export async function peekMetadata(readAt: ReadAt, fileSize: number, limits: ArchiveLimits): Promise<PeekedTar | undefined> {
  if (detectCompression(await readAt(MAGIC_LENGTH, 0)) !== 'none') return undefined;
  const found = new Map<string, Buffer>();
  const files: TarFileSpan[] = [];
  let at = 0;
  let entries = 0;
  let pax: Map<string, string> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  try {
    for (;;) {
      const block = await readAt(BLOCK, at);
      if (block.length < BLOCK) return undefined;
      if (isZeroBlock(block)) return at === 0 ? undefined : { metadata: found, files };
      if (++entries > limits.maxEntries * 4) return undefined;
      const raw = decodeHeader(block, at);
      const dataAt = at + BLOCK;
      let size = raw.size;
      if (raw.typeflag === 'x' || raw.typeflag === 'g' || raw.typeflag === 'L' || raw.typeflag === 'K') {
        if (size > limits.maxMetaSize) return undefined;
        const data = await readAt(size, dataAt);
        if (raw.typeflag === 'x') pax = parsePax(data, at);
        else if (raw.typeflag === 'g') parsePax(data, at);
        else if (raw.typeflag === 'L') longName = nulTerminated(data);
        else longLink = nulTerminated(data);
        at = dataAt + paddedSize(size);
        continue;
      }
      const rawPath = pax?.get('path') ?? longName ?? (raw.prefix ? `${raw.prefix}/${raw.name}` : raw.name);
      const linkname = pax?.get('linkpath') ?? longLink ?? raw.linkname;
      if (pax?.has('size')) size = paxNumber(pax.get('size')!, 'size', at);
      pax = longName = longLink = undefined;
      if (!plainPath(rawPath, limits) || linkname.includes('\0')) return undefined;
      const path = normalizeMemberPath(rawPath);
      const type = entryTypeOf(raw.typeflag);
      if (type === 'symlink' || type === 'hardlink') linkTargetPath(path, linkname, type);
      else if (type !== 'file' && type !== 'directory') return undefined;
      if (type !== 'file') size = 0;
      if (size > limits.maxEntrySize || dataAt + size > fileSize) return undefined;
      if (type === 'file') files.push({ path, dataOffset: dataAt, size });
      if (type === 'file' && metadataNames.has(path)) {
        if (size > limits.maxJsonSize) return undefined;
        found.set(path, await readAt(size, dataAt));
      }
      at = dataAt + paddedSize(size);
    }
  } catch {
    return undefined;
  }
}

function nulTerminated(data: Buffer): string {
  const end = data.indexOf(0);
  return data.subarray(0, end < 0 ? data.length : end).toString('utf8');
}

/** Within the tar reader's bounds on paths. */
function plainPath(path: string, limits: ArchiveLimits): boolean {
  if (path === '' || path.includes('\0') || Buffer.byteLength(path) > limits.maxPathLength) return false;
  return path.split('/').filter((part) => part !== '' && part !== '.').length <= limits.maxPathDepth;
}

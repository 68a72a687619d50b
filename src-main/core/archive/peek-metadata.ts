import { normalizeMemberPath } from './archive-path';
import { detectCompression, MAGIC_LENGTH } from './compression';
import type { ArchiveLimits } from './limits';
import { metadataNames } from './scan-archive';
import { BLOCK, decodeHeader, entryTypeOf, hasNoData, isZeroBlock, paddedSize, parsePax, paxNumber } from './tar-header';

/** Reads `length` bytes at `position`; fewer at the end of the file. */
export type ReadAt = (length: number, position: number) => Promise<Buffer>;

/**
 * The metadata files (manifest.json, index.json, repositories, oci-layout) of an uncompressed tar
 * file, found by walking its headers and skipping every member's data: a few small reads whatever
 * the archive's size. Only a hint for deciding how to read the archive — nothing here is verified,
 * and anything unusual (compressed, malformed, over the limits) gives undefined: the full read then
 * says precisely what is wrong.
 */
export async function peekMetadata(readAt: ReadAt, fileSize: number, limits: ArchiveLimits): Promise<Map<string, Buffer> | undefined> {
  if (detectCompression(await readAt(MAGIC_LENGTH, 0)) !== 'none') return undefined;
  const found = new Map<string, Buffer>();
  let at = 0;
  let entries = 0;
  let pax: Map<string, string> | undefined;
  let longName: string | undefined;
  try {
    for (;;) {
      const block = await readAt(BLOCK, at);
      if (block.length < BLOCK) return undefined;
      if (isZeroBlock(block)) return at === 0 ? undefined : found;
      if (++entries > limits.maxEntries * 4) return undefined;
      const raw = decodeHeader(block, at);
      const dataAt = at + BLOCK;
      let size = raw.size;
      if (raw.typeflag === 'x' || raw.typeflag === 'L') {
        if (size > limits.maxMetaSize) return undefined;
        const data = await readAt(size, dataAt);
        if (raw.typeflag === 'x') pax = parsePax(data, at);
        else longName = data.subarray(0, data.indexOf(0) < 0 ? data.length : data.indexOf(0)).toString('utf8');
        at = dataAt + paddedSize(size);
        continue;
      }
      const path = normalizeMemberPath(pax?.get('path') ?? longName ?? (raw.prefix ? `${raw.prefix}/${raw.name}` : raw.name));
      if (pax?.has('size')) size = paxNumber(pax.get('size')!, 'size', at);
      pax = longName = undefined;
      const type = entryTypeOf(raw.typeflag);
      if (hasNoData(type)) size = 0;
      if (dataAt + size > fileSize) return undefined;
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

import { createHash } from 'node:crypto';
import { LighterError, isAbortError, throwIfAborted } from '../errors';
import type { Digest } from '../image/digest';
import { linkTargetPath, normalizeMemberPath } from './archive-path';
import { detectCompression, describeStreamError, MAGIC_LENGTH, openArchiveStream, type Compression } from './compression';
import { DecompressedHasher, type HashOutcome, layerLabel } from './content-hasher';
import { jsonTooLarge, resolveLimits, type ArchiveLimits } from './limits';
import { readTar, shorten, type TarEntry } from './tar-reader';
import { FileMemberHashes, fileHashMinBytes } from './file-member-hashes';
import type { TarFileSpan } from './peek-metadata';

/** Names whose content is always kept in memory (within the JSON cap). */
export const metadataNames = new Set(['manifest.json', 'index.json', 'oci-layout', 'repositories']);

/** One member of the archive as seen during the scan. */
export interface ScannedEntry {
  path: string;
  type: TarEntry['type'];
  size: number;
  /** Offset of the data in the decompressed tar stream. */
  dataOffset: number;
  /** sha256 of the data as stored (files only). */
  digest?: Digest;
  /** Compression of the data itself, by its magic bytes (files only). */
  compression: Compression;
  /** Kept in memory when small (candidates for configs and manifests) or a metadata file. */
  content?: Buffer;
  /** For links: the member path they name. Never followed on disk; looked up only in this index. */
  linkTarget?: string;
  /** With `hashDecompressed`: sha256 of the decompressed data, or why it could not be computed. */
  decompressed?: HashOutcome;
}

export interface ScanProgress {
  bytesRead: number;
  totalBytes: number;
  entries: number;
}

export interface ScanOptions {
  signal?: AbortSignal;
  onProgress?: (progress: ScanProgress) => void;
  limits?: Partial<ArchiveLimits>;
  /** Also decompress compressed members and hash the result (diffIDs). */
  hashDecompressed?: boolean;
}

export interface ScanResult {
  path: string;
  compression: Compression;
  fileSize: number;
  entries: Map<string, ScannedEntry>;
}

const smallContentSize = 1024 * 1024;
const contentBudget = 64 * 1024 * 1024;
const blobPathPattern = /^blobs\/sha256\/([a-f0-9]{64})$/;

function invalid(message: string): LighterError {
  return new LighterError('ARCHIVE_INVALID', message);
}

/** Reads the whole archive once: every member hashed, small ones kept, offsets recorded. */
export async function scanArchive(path: string, options: ScanOptions = {}): Promise<ScanResult> {
  throwIfAborted(options.signal);
  const opened = await openArchiveStream(path, { signal: options.signal, limits: options.limits });
  const what = opened.compression === 'none' ? 'The archive' : `The ${opened.compression} archive`;
  let lastProgress = 0;
  const report = (entries: number, force: boolean) => {
    const now = Date.now();
    if (!options.onProgress || (!force && now - lastProgress < 100)) return;
    lastProgress = now;
    options.onProgress({ bytesRead: opened.bytesRead(), totalBytes: opened.fileSize, entries });
  };
  try {
    const membersFrom = opened.compression === 'none' ? path : undefined;
    const entries = await scanTar(opened.stream, what, { ...options, membersFrom }, (n) => report(n, false));
    report(entries.size, true);
    return { path, compression: opened.compression, fileSize: opened.fileSize, entries };
  } finally {
    opened.stream.destroy();
  }
}

/** An uncompressed tar file being streamed, and where its files lie when known beforehand. */
export interface TarFile {
  path: string;
  fileSize: number;
  files?: TarFileSpan[];
}

/**
 * The scan of an uncompressed tar stream that is also being read by someone else (the tar's bytes
 * as they go to an engine); offsets refer to `path`, which holds the same bytes. Big members of
 * `files` are hashed from the file at once, ahead of the stream.
 */
export async function scanTarStream(input: AsyncIterable<Buffer>, file: TarFile, options: Omit<ScanOptions, 'onProgress'> = {}): Promise<ScanResult> {
  const entries = await scanTar(input, 'The archive', { ...options, membersFrom: file.path, ahead: file.files }, () => {});
  return { path: file.path, compression: 'none', fileSize: file.fileSize, entries };
}

/**
 * `membersFrom`: the uncompressed tar file the input comes from. Big members are then
 * hashed from it on the side (FileMemberHashes) while the scan reads on; those in `ahead` at once.
 */
async function scanTar(
  input: AsyncIterable<Buffer>,
  what: string,
  options: ScanOptions & { membersFrom?: string; ahead?: TarFileSpan[] },
  onChunk: (entries: number) => void,
): Promise<Map<string, ScannedEntry>> {
  const limits = resolveLimits(options.limits);
  const entries = new Map<string, ScannedEntry>();
  const onTheSide = options.membersFrom ? new FileMemberHashes(options.membersFrom, limits, { decompress: options.hashDecompressed === true }) : undefined;
  // Those the scan will hand to onTheSide whatever else is in the archive (see `keep` below).
  onTheSide?.hashAhead((options.ahead ?? []).filter((f) => f.size > smallContentSize && !metadataNames.has(f.path)));
  const delegated: ScannedEntry[] = [];
  let buffered = 0;
  try {
    for await (const entry of readTar(input, { ...limits, signal: options.signal })) {
      const memberPath = normalizeMemberPath(entry.path);
      if (memberPath === '') continue;
      const scanned: ScannedEntry = { path: memberPath, type: entry.type, size: entry.size, dataOffset: entry.dataOffset, compression: 'none' };
      if (entry.type === 'symlink' || entry.type === 'hardlink') {
        scanned.linkTarget = linkTargetPath(memberPath, entry.linkname, entry.type);
      } else if (entry.type === 'file') {
        const isMetadata = metadataNames.has(memberPath);
        if (isMetadata && entry.size > limits.maxJsonSize) {
          throw invalid(jsonTooLarge(memberPath, entry.size, limits.maxJsonSize));
        }
        const keep = isMetadata || (entry.size <= smallContentSize && buffered + entry.size <= contentBudget);
        if (keep) buffered += entry.size;
        const sideways = onTheSide && !keep && entry.size >= fileHashMinBytes ? onTheSide : undefined;
        await consumeBody(entry, scanned, { keep, hashDecompressed: options.hashDecompressed === true, limits, signal: options.signal, onChunk: () => onChunk(entries.size), sideways });
        if (scanned.digest) checkBlobName(scanned);
        else delegated.push(scanned);
      } else if (entry.type !== 'directory') {
        throw invalid(`Archive entry "${shorten(memberPath)}" is a ${entry.type}; image archives hold only files, directories and links`);
      }
      addEntry(entries, scanned);
      onChunk(entries.size);
    }
    await onTheSide?.finish();
  } catch (e) {
    await onTheSide?.abort();
    if (isAbortError(e)) throw new LighterError('CANCELLED', 'Cancelled');
    throw describeStreamError(e, what);
  }
  delegated.forEach(checkBlobName);
  return entries;
}

/** A member under blobs/sha256/ must hash to its name. */
export function checkBlobName(scanned: ScannedEntry): void {
  const blobHex = blobPathPattern.exec(scanned.path)?.[1];
  if (blobHex && scanned.digest !== `sha256:${blobHex}`) {
    throw new LighterError('DIGEST_MISMATCH', `Blob ${scanned.path} does not match its name: its content hashes to ${scanned.digest}`, {
      expected: `sha256:${blobHex}`,
      actual: scanned.digest,
    });
  }
}

function addEntry(entries: Map<string, ScannedEntry>, entry: ScannedEntry): void {
  const previous = entries.get(entry.path);
  if (previous) {
    const same =
      previous.type === entry.type &&
      (entry.type === 'directory' || (previous.digest === entry.digest && previous.linkTarget === entry.linkTarget));
    if (!same) throw invalid(`Archive has two different entries named "${shorten(entry.path)}"`);
    return;
  }
  entries.set(entry.path, entry);
}

async function consumeBody(
  entry: TarEntry,
  scanned: ScannedEntry,
  options: { keep: boolean; hashDecompressed: boolean; limits: ArchiveLimits; signal?: AbortSignal; onChunk: () => void; sideways?: FileMemberHashes },
): Promise<void> {
  const hash = createHash('sha256');
  const kept: Buffer[] = [];
  let head: Buffer[] = [];
  let headBytes = 0;
  let hasher: DecompressedHasher | undefined;
  let decided = false;
  let handedOff = false;

  const decide = async () => {
    decided = true;
    const start = Buffer.concat(head);
    head = [];
    scanned.compression = detectCompression(start.subarray(0, MAGIC_LENGTH));
    if (options.sideways) {
      // Hashed from the file (both ways when compressed) while the scan skips on.
      options.sideways.add(scanned);
      handedOff = true;
      return;
    }
    if (!options.hashDecompressed || scanned.compression === 'none') return;
    hasher = new DecompressedHasher(scanned.compression, options.limits, layerLabel(scanned.path));
    await hasher.write(start);
  };

  try {
    for await (const piece of entry.body) {
      const chunk = piece as Buffer;
      throwIfAborted(options.signal);
      hash.update(chunk);
      if (options.keep) kept.push(chunk);
      if (!decided) {
        head.push(chunk);
        headBytes += chunk.length;
        if (headBytes >= MAGIC_LENGTH) await decide();
        if (handedOff) return;
      } else if (hasher) {
        await hasher.write(chunk);
      }
      options.onChunk();
    }
    if (!decided) await decide();
  } catch (e) {
    hasher?.abort();
    throw e;
  }
  if (handedOff) return;
  scanned.digest = `sha256:${hash.digest('hex')}`;
  if (options.keep) scanned.content = Buffer.concat(kept);
  if (hasher) scanned.decompressed = await hasher.finish();
}

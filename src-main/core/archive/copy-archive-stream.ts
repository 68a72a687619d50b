import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { LighterError, cancelled, isAbortError, throwIfAborted } from '../errors';
import { sha256 } from '../image/digest';
import { ArchiveMembers } from './archive-members';
import type { ArchiveContents } from './archive-model';
import { linkTargetPath, normalizeMemberPath } from './archive-path';
import { detectCompression, describeStreamError, MAGIC_LENGTH } from './compression';
import { DecompressedHasher, layerLabel } from './content-hasher';
import { FileMemberHashes, fileHashMinBytes } from './file-member-hashes';
import { MemberGrowth } from './member-hash-thread';
import { jsonTooLarge, resolveLimits, type ArchiveLimits } from './limits';
import type { PartialFile } from './partial-file';
import { checkDiffIDs } from './read-archive';
import { readDockerSide } from './read-docker';
import { readOciSide } from './read-oci';
import { nameFiles, retagMetadata } from './retag-metadata';
import { checkBlobName, metadataNames, type ScannedEntry, type ScanResult } from './scan-archive';
import { encodeHeader, padding } from './tar-header';
import { tarEnd, tarEntry, type TarEntryToWrite } from './tar-writer';
import { readTar, shorten, type TarEntry } from './tar-reader';
import { chunksOf, eachChunk } from './stream-chunks';

export interface ArchiveStreamCopyOptions {
  /** Names the copy records (manifest.json, repositories, index.json are rewritten when they differ); undefined keeps the stream's. */
  names?: string[];
  limits?: Partial<ArchiveLimits>;
  signal?: AbortSignal;
  /** Bytes of the stream consumed so far, as they arrive. */
  onBytes?: (bytes: number) => void;
}

/** Small members kept in memory for the final check (configs, manifests); others are read back from the file. */
const smallContentSize = 1 << 20;
const contentBudget = 16 << 20;

function invalid(message: string): LighterError {
  return new LighterError('ARCHIVE_INVALID', message);
}

/**
 * Re-writes a docker-archive tar stream (an engine's save) into `file` in one pass: every member's
 * data is copied unchanged while it is hashed (blobs against their names, layers — decompressed when
 * compressed — against the config's diff_ids), the name files are rewritten when `names` differ,
 * and at the end the archive is read back from what was hashed, under the same rules as any archive
 * read. Returns the archive as the reader sees it; the caller commits or aborts the file.
 *
 * Big members (layers) are hashed from the file on helper threads (FileMemberHashes), close behind
 * the writes as they land: the thread receiving the stream then only copies, and keeps up with the engine.
 */
export async function copyArchiveStream(input: AsyncIterable<Buffer>, file: PartialFile, options: ArchiveStreamCopyOptions = {}): Promise<ArchiveContents> {
  const limits = resolveLimits(options.limits);
  const { signal } = options;
  const entries = new Map<string, ScannedEntry>();
  const budget = { kept: 0 };
  const sideways = new FileMemberHashes(file.tempPath, limits);
  const delegated: ScannedEntry[] = [];
  try {
    for await (const entry of readTar(counted(input, options.onBytes), { ...limits, signal })) {
      const path = normalizeMemberPath(entry.path);
      if (path === '') continue;
      addEntry(entries, await copyMember(entry, path, file, { ...options, limits, budget, sideways, delegated }));
    }
    await file.write(tarEnd());
    await file.flush();
    await sideways.finish();
  } catch (e) {
    await sideways.abort();
    if (signal?.aborted || isAbortError(e)) throw cancelled();
    throw describeStreamError(e, 'The image stream');
  }
  throwIfAborted(signal);
  delegated.forEach(checkBlobName);
  return readCopied({ path: file.tempPath, compression: 'none', fileSize: file.position, entries }, limits, signal);
}

/** The input, counted; its own failures (a connection reset) are told apart from the archive's. */
async function* counted(input: AsyncIterable<Buffer>, onBytes?: (bytes: number) => void): AsyncGenerator<Buffer> {
  const chunks = (input instanceof Readable ? chunksOf(input) : input)[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (e) {
        if (e instanceof LighterError || isAbortError(e)) throw e;
        throw new LighterError('ARCHIVE_INVALID', `The image stream broke off: ${(e as Error).message ?? String(e)}`);
      }
      if (next.done) return;
      onBytes?.(next.value.length);
      yield next.value;
    }
  } finally {
    // Stopping early (a bad member) releases the input too.
    await chunks.return?.();
  }
}

type CopyContext = ArchiveStreamCopyOptions & {
  limits: ArchiveLimits;
  budget: { kept: number };
  /** Hashes big members from the file; `delegated` lists them, to be checked once it finished. */
  sideways: FileMemberHashes;
  delegated: ScannedEntry[];
};

async function copyMember(entry: TarEntry, path: string, file: PartialFile, context: CopyContext): Promise<ScannedEntry> {
  const header = { path, mode: entry.mode & 0o7777, mtime: entry.mtime };
  const scanned: ScannedEntry = { path, type: entry.type, size: entry.size, dataOffset: 0, compression: 'none' };
  if (entry.type === 'directory') {
    scanned.dataOffset = await writeEntry(file, { ...header, type: 'directory' });
  } else if (entry.type === 'symlink' || entry.type === 'hardlink') {
    scanned.linkTarget = linkTargetPath(path, entry.linkname, entry.type);
    const linkname = entry.type === 'hardlink' ? scanned.linkTarget : entry.linkname;
    scanned.dataOffset = await writeEntry(file, { ...header, type: entry.type, linkname });
  } else if (entry.type === 'file' && metadataNames.has(path)) {
    if (entry.size > context.limits.maxJsonSize) throw invalid(jsonTooLarge(path, entry.size, context.limits.maxJsonSize));
    const original = await readAll(entry);
    const bytes = (context.names && nameFiles.has(path) ? retagMetadata(path, original, context.names) : undefined) ?? original;
    scanned.size = bytes.length;
    scanned.digest = sha256(bytes);
    scanned.content = bytes;
    scanned.dataOffset = await writeEntry(file, { ...header, size: bytes.length }, bytes);
  } else if (entry.type === 'file') {
    await copyFile(entry, scanned, file, context);
  } else {
    throw invalid(`Archive entry "${shorten(path)}" is a ${entry.type}; image archives hold only files, directories and links`);
  }
  return scanned;
}

/** Writes one entry; returns the offset of its data in the file. */
async function writeEntry(file: PartialFile, entry: TarEntryToWrite, body?: Buffer | AsyncIterable<Buffer>): Promise<number> {
  let dataOffset: number | undefined;
  for await (const chunk of tarEntry(entry, body)) {
    await file.write(chunk);
    dataOffset ??= file.position;
  }
  return dataOffset!;
}

async function readAll(entry: TarEntry): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of entry.body) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/**
 * Copies a file member's data unchanged, hashing it as stored and, when compressed, as decompressed:
 * small ones here, big ones from the file, close behind the writes as they land (their digests are
 * then filled in by the time `context.sideways` finishes).
 */
async function copyFile(entry: TarEntry, scanned: ScannedEntry, file: PartialFile, context: CopyContext): Promise<void> {
  const { signal } = context;
  const keep = entry.size <= smallContentSize && context.budget.kept + entry.size <= contentBudget;
  if (keep) context.budget.kept += entry.size;
  const hash = keep || entry.size < fileHashMinBytes ? createHash('sha256') : undefined;
  const kept: Buffer[] = [];
  let head: Buffer[] | undefined = [];
  let headBytes = 0;
  let decompressed: DecompressedHasher | undefined;
  let growth: MemberGrowth | undefined;
  /** Once the first bytes are in: compressed data hashed here is also fed to a decompressing hasher. */
  const decide = (): Promise<void> | undefined => {
    const start = Buffer.concat(head!);
    head = undefined;
    scanned.compression = detectCompression(start.subarray(0, MAGIC_LENGTH));
    if (!hash) {
      growth = new MemberGrowth();
      context.sideways.add(scanned, growth);
      context.delegated.push(scanned);
      return undefined;
    }
    if (scanned.compression === 'none') return undefined;
    decompressed = new DecompressedHasher(scanned.compression, context.limits, layerLabel(scanned.path));
    return decompressed.write(start);
  };
  const onChunk = (chunk: Buffer): Promise<unknown> | undefined => {
    if (signal?.aborted) throw cancelled();
    hash?.update(chunk);
    if (keep) kept.push(chunk);
    let decompressing: Promise<void> | undefined;
    if (head) {
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes >= MAGIC_LENGTH) decompressing = decide();
    } else if (decompressed) {
      decompressing = decompressed.write(chunk);
    }
    // Kept, or still to be read by an inflater or the compression check: not the file's alone.
    const writing = file.append(chunk, !keep && !decompressed && !head);
    if (writing && growth) {
      const member = growth;
      void file.landed().then((at) => member.grow(Math.min(entry.size, at - scanned.dataOffset)));
    }
    return all(decompressing, writing);
  };
  try {
    await file.write(encodeHeader({ path: scanned.path, type: 'file', size: entry.size, mode: entry.mode & 0o7777, mtime: entry.mtime, uid: 0, gid: 0, linkname: '' }));
    scanned.dataOffset = file.position;
    await eachChunk(entry.body, onChunk);
    if (head) await decide();
    if (file.position - scanned.dataOffset !== entry.size) throw invalid(`Archive entry "${shorten(scanned.path)}" ends before its data does`);
    await file.write(padding(entry.size));
  } catch (e) {
    decompressed?.abort();
    throw e;
  }
  if (!hash) {
    // Hashed from the file (decide handed it over): its last bytes land now.
    await file.flush();
    growth?.grow(entry.size);
    return;
  }
  scanned.digest = `sha256:${hash.digest('hex')}`;
  if (keep) scanned.content = Buffer.concat(kept);
  if (decompressed) scanned.decompressed = await decompressed.finish();
  checkBlobName(scanned);
}

/** One promise for whichever of these are pending; undefined when none is. */
function all(...pending: (Promise<unknown> | undefined)[]): Promise<unknown> | undefined {
  const waiting = pending.filter((p) => p !== undefined);
  return waiting.length === 0 ? undefined : waiting.length === 1 ? waiting[0] : Promise.all(waiting);
}

function addEntry(entries: Map<string, ScannedEntry>, entry: ScannedEntry): void {
  const previous = entries.get(entry.path);
  if (!previous) {
    entries.set(entry.path, entry);
    return;
  }
  const same = previous.type === entry.type && (entry.type === 'directory' || (previous.digest === entry.digest && previous.linkTarget === entry.linkTarget));
  if (!same) throw invalid(`Archive has two different entries named "${shorten(entry.path)}"`);
}

/** The copied archive as the archive reader sees it, with every compressed layer's diffID checked. */
async function readCopied(scan: ScanResult, limits: ArchiveLimits, signal?: AbortSignal): Promise<ArchiveContents> {
  const members = new ArchiveMembers(scan, limits, signal);
  if (!members.has('manifest.json')) throw invalid('The image stream is not a docker-archive: it has no manifest.json');
  const oci = members.has('index.json') || members.has('oci-layout') ? await readOciSide(members) : undefined;
  const docker = await readDockerSide(members, oci);
  const contents: ArchiveContents = {
    path: scan.path,
    format: 'docker-archive',
    layout: oci ? 'docker-oci' : 'docker-legacy',
    compression: 'none',
    fileSize: scan.fileSize,
    images: docker.images,
    index: oci?.index,
    documents: new Map([...(oci?.documents ?? []), ...docker.documents]),
    blobs: new Map([...(oci?.blobs ?? []), ...docker.blobs]),
  };
  checkDiffIDs(contents, scan);
  return contents;
}

import { Readable, addAbortSignal, pipeline } from 'node:stream';
import { LighterError } from '../errors';
import { DigestStream, type Digest } from '../image/digest';
import type { Descriptor } from '../image/types';
import { ArchiveMembers } from './archive-members';
import type { ArchiveBlob, ArchiveContents, BlobSource, VerifyReport } from './archive-model';
import { resolveLimits, type ArchiveLimits } from './limits';
import { openMemberStream } from './member-stream';
import { PinnedFile } from './pinned-file';
import { readDockerSide } from './read-docker';
import { diffIDMismatch, readOciSide } from './read-oci';
import { scanArchive, scanTarStream, type ScanOptions, type ScanResult, type TarFile } from './scan-archive';

export type ReadArchiveOptions = Omit<ScanOptions, 'hashDecompressed'>;

/**
 * Identifies and indexes an image archive (docker save, legacy or Docker 25+, or OCI archive;
 * gzip/zstd outside) in one streaming pass. Every blob is hashed on the way: blobs/sha256 names,
 * and diffIDs of uncompressed layers, are checked. Compressed layers' diffIDs need verifyArchive.
 */
export async function readArchive(path: string, options: ReadArchiveOptions = {}): Promise<ArchiveContents> {
  const scan = await scanArchive(path, { ...options, hashDecompressed: false });
  return buildContents(scan, resolveLimits(options.limits), options.signal);
}

/**
 * readArchive plus the decompressed hash of every compressed layer, in the same single pass:
 * afterwards every blob digest and every diffID has been checked.
 */
export async function verifyArchive(path: string, options: ReadArchiveOptions = {}): Promise<{ contents: ArchiveContents; report: VerifyReport }> {
  return verified(await scanArchive(path, { ...options, hashDecompressed: true }), options);
}

/** verifyArchive over the bytes of the uncompressed tar at `file.path` as they pass on their way elsewhere. */
export async function verifyTarStream(
  input: AsyncIterable<Buffer>,
  file: TarFile,
  options: Omit<ReadArchiveOptions, 'onProgress'> = {},
): Promise<{ contents: ArchiveContents; report: VerifyReport }> {
  return verified(await scanTarStream(input, file, { ...options, hashDecompressed: true }), options);
}

async function verified(scan: ScanResult, options: ReadArchiveOptions): Promise<{ contents: ArchiveContents; report: VerifyReport }> {
  const contents = await buildContents(scan, resolveLimits(options.limits), options.signal);
  const layers = checkDiffIDs(contents, scan);
  let bytes = 0;
  for (const blob of contents.blobs.values()) bytes += blob.size;
  return { contents, report: { blobs: contents.blobs.size, layers, bytes } };
}

/**
 * Marks every layer's diffID verified, comparing the digest of each compressed layer's decompressed
 * content (hashed during the scan) with its config. Uncompressed layers were compared when read.
 * Returns how many layers were checked.
 */
export function checkDiffIDs(contents: ArchiveContents, scan: ScanResult): number {
  let layers = 0;
  for (const image of contents.images) {
    for (const layer of image.layers) {
      const blob = contents.blobs.get(layer.descriptor.digest as Digest)!;
      const entry = scan.entries.get(blob.path)!;
      if (entry.compression !== 'none') {
        const outcome = entry.decompressed;
        if (!outcome) throw new LighterError('INTERNAL', `Layer ${layer.descriptor.digest} was not hashed`);
        if ('error' in outcome) throw outcome.error;
        if (outcome.digest !== layer.diffID) throw diffIDMismatch(layer.descriptor.digest, layer.diffID, outcome.digest);
      }
      layer.diffIDVerified = true;
      layers++;
    }
  }
  return layers;
}

async function buildContents(scan: ScanResult, limits: ArchiveLimits, signal?: AbortSignal): Promise<ArchiveContents> {
  const members = new ArchiveMembers(scan, limits, signal);
  const hasOci = members.has('index.json') || members.has('oci-layout');
  const base = { path: scan.path, compression: scan.compression, fileSize: scan.fileSize };
  if (members.has('manifest.json')) {
    const oci = hasOci ? await readOciSide(members) : undefined;
    const docker = await readDockerSide(members, oci);
    return {
      ...base,
      format: 'docker-archive',
      layout: oci ? 'docker-oci' : 'docker-legacy',
      images: docker.images,
      index: oci?.index,
      documents: new Map([...(oci?.documents ?? []), ...docker.documents]),
      blobs: new Map([...(oci?.blobs ?? []), ...docker.blobs]),
    };
  }
  if (hasOci) {
    const oci = await readOciSide(members);
    return { ...base, format: 'oci-archive', layout: 'oci', images: oci.images, index: oci.index, documents: oci.documents, blobs: oci.blobs };
  }
  throw new LighterError('ARCHIVE_INVALID', 'Not an image archive: it has neither manifest.json nor index.json at its top level');
}

/** Streams one config or layer blob of a read archive; fails with DIGEST_MISMATCH if the file changed. */
export async function openArchiveBlob(
  contents: ArchiveContents,
  digest: string,
  options: { signal?: AbortSignal; limits?: Partial<ArchiveLimits> } = {},
): Promise<Readable> {
  const blob: ArchiveBlob | undefined = contents.blobs.get(digest as Digest);
  if (!blob) return Readable.from([documentOf(contents, digest)]);
  const raw = await openMemberStream(contents.path, contents.compression, blob, options);
  return pipeline(raw, new DigestStream({ digest: blob.digest, size: blob.size, what: `blob in ${contents.path}` }), () => {});
}

/**
 * Streams a blob of an uncompressed archive read while `pinned` held it: the file is reopened only
 * if it is still that one (PinnedFile.reopen), so the bytes hashed then are the bytes sent now, or
 * the stream fails before its last chunk. No second hash. The file is closed with the stream.
 */
export async function openPinnedBlob(contents: ArchiveContents, pinned: PinnedFile, digest: string, signal?: AbortSignal): Promise<Readable> {
  const blob: ArchiveBlob | undefined = contents.blobs.get(digest as Digest);
  if (!blob) return Readable.from([documentOf(contents, digest)]);
  const file = await PinnedFile.reopen(pinned);
  const stream = file.range(blob.dataOffset, blob.size, { closeAtEnd: true });
  if (signal) addAbortSignal(signal, stream);
  return stream;
}

function documentOf(contents: ArchiveContents, digest: string): Buffer {
  const document = contents.documents.get(digest as Digest);
  if (!document) throw new LighterError('NOT_FOUND', `Blob ${digest} is not in ${contents.path}`);
  return document;
}

/** A writer-ready source for a descriptor of a read archive. */
export function archiveBlobSource(contents: ArchiveContents, descriptor: Descriptor): BlobSource {
  return { descriptor, open: (signal) => openArchiveBlob(contents, descriptor.digest, { signal }) };
}

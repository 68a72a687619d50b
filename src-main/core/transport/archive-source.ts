import type { Readable } from 'node:stream';
import { LighterError } from '../errors';
import type { Digest } from '../image/digest';
import type { Descriptor, ImageConfig } from '../image/types';
import type { ArchiveContents, ArchiveImage } from '../archive/archive-model';
import { parseTaggedName } from '../archive/image-names';
import { PinnedFile } from '../archive/pinned-file';
import { peekMetadata, type PeekedTar, type ReadAt } from '../archive/peek-metadata';
import { normalizeMemberPath } from '../archive/archive-path';
import { openArchiveBlob, openPinnedBlob, readArchive, verifyTarStream, type ReadArchiveOptions } from '../archive/read-archive';
import { resolveLimits } from '../archive/limits';
import { withholdTail } from '../archive/withheld-tail';
import type { ArchiveStream, ArchiveStreamRequest, BlobRequest, ImageSource, LayerPlan, ManifestBlob } from './types';

const refNameAnnotation = 'org.opencontainers.image.ref.name';
const imageNameAnnotation = 'io.containerd.image.name';

/**
 * Reads one image of a docker-archive or oci-archive file, chosen by name, by `@N`, or the only one.
 * The archive is indexed (every blob hashed) on first use; blobs are then streamed from their offsets,
 * from the very file that was read (an uncompressed one: no second hash) or decompressed and hashed again.
 */
export class ArchiveSource implements ImageSource {
  /** Every blob was hashed when the archive was read; it is sent from the pinned file, or hashed again (openArchiveBlob). */
  readonly verifiesBlobs = true;
  private contents?: Promise<ArchiveContents>;
  /** The file as it was read, for an uncompressed archive (closed since): blobs are sent from it, reopened, without a second hash. */
  private pinned?: PinnedFile;

  constructor(
    readonly name: string,
    private readonly path: string,
    private readonly ref?: string,
    private readonly readOptions: ReadArchiveOptions = {},
  ) {}

  /** The indexed archive (read once). */
  read(signal?: AbortSignal): Promise<ArchiveContents> {
    this.contents ??= this.readPinned(signal);
    return this.contents;
  }

  /** Pinned before it is read, so what is hashed now is what is sent later (or the change is noticed). */
  private async readPinned(signal?: AbortSignal): Promise<ArchiveContents> {
    const pinned = await PinnedFile.open(this.path);
    let contents: ArchiveContents | undefined;
    try {
      contents = await readArchive(this.path, { ...this.readOptions, signal });
      return contents;
    } finally {
      // A compressed archive's members are not at file offsets: they are decompressed again.
      if (contents?.compression === 'none') this.pinned = pinned;
      await pinned.close();
    }
  }

  async topManifest(signal?: AbortSignal): Promise<ManifestBlob> {
    const contents = await this.read(signal);
    return this.document(contents, selectImage(contents, this.ref));
  }

  async manifest(d: Descriptor, signal?: AbortSignal): Promise<ManifestBlob> {
    return this.document(await this.read(signal), d);
  }

  private document(contents: ArchiveContents, d: Descriptor): ManifestBlob {
    const bytes = contents.documents.get(d.digest as Digest);
    if (!bytes) throw new LighterError('ARCHIVE_INVALID', `Manifest ${d.digest} is missing from ${this.path}`);
    return { bytes, mediaType: d.mediaType, digest: d.digest };
  }

  async blob(d: Descriptor, request: BlobRequest): Promise<Readable> {
    const contents = await this.read(request.signal);
    if (this.pinned) return openPinnedBlob(contents, this.pinned, d.digest, request.signal);
    return openArchiveBlob(contents, d.digest, { signal: request.signal });
  }

  /**
   * For a destination that cannot check what it receives (an engine's load): the archive file
   * itself, passed on byte for byte while every digest and every diffID (compressed layers are
   * decompressed) is checked, its last chunk held back until all held — so the destination never
   * gets a complete archive that failed. Only for an uncompressed docker-archive of one image that
   * already records exactly the names asked for, as its metadata shows before the first byte goes.
   * The file is pinned from the start; a change to it fails the stream before its last chunk.
   * Undefined otherwise (the copy then goes blob by blob, re-written).
   */
  async archiveStream(request: ArchiveStreamRequest = {}): Promise<ArchiveStream | undefined> {
    // Streams for destinations that check as they write go blob by blob; and the pin must come before the read.
    if (!request.verified || this.contents) return undefined;
    const pinned = await PinnedFile.open(this.path);
    const limits = resolveLimits(this.readOptions.limits);
    const peeked = await peekMetadata((length, at) => pinned.readAt(length, at), pinned.size, limits).catch(() => undefined);
    if (!peeked || !namesAsked(peeked.metadata, request.names)) {
      await pinned.close();
      return undefined;
    }
    const { signal } = request;
    const { stream, verified } = withholdTail(pinned.stream(), async (chunks) => {
      const { contents } = await verifyTarStream(chunks, { path: this.path, fileSize: pinned.size, files: peeked.files }, { ...this.readOptions, signal });
      const image = passableImage(contents, this.ref, request.names);
      if (!image) throw new LighterError('ARCHIVE_INVALID', `${this.path} does not hold the one image its metadata named`);
      let bytes = 0;
      for (const blob of contents.blobs.values()) bytes += blob.size;
      return { contents, image: { manifest: image.manifestDescriptor, blobs: contents.blobs.size, bytes } };
    });
    this.contents = verified.then((v) => v.contents);
    this.contents.catch(() => undefined);
    const layers = await layerPlan(peeked, (length, at) => pinned.readAt(length, at), limits.maxJsonSize);
    return { stream, size: pinned.size, sizeHint: pinned.size, verified: true, image: verified.then((v) => v.image), handsOver: true, layers };
  }

  async close(): Promise<void> {}
}

/**
 * Where the one image's config and layers lie in the file, from its headers and manifest.json alone
 * (checked with everything else as the file passes). Undefined when a load layer by layer would not
 * fit: a layer listed twice, layers and diff_ids that do not pair up.
 */
async function layerPlan(peeked: PeekedTar, readAt: ReadAt, maxConfig: number): Promise<LayerPlan | undefined> {
  try {
    const [entry] = JSON.parse(peeked.metadata.get('manifest.json')!.toString('utf8')) as { Config: string; Layers: string[] }[];
    const spans = new Map(peeked.files.map((f) => [normalizeMemberPath(f.path), f]));
    const configSpan = spans.get(normalizeMemberPath(entry.Config));
    const layers = entry.Layers.map((path) => spans.get(normalizeMemberPath(path)));
    if (!configSpan || configSpan.size > maxConfig || layers.some((l) => !l) || new Set(layers).size !== layers.length) return undefined;
    const config = await readAt(configSpan.size, configSpan.dataOffset);
    const diffIDs = (JSON.parse(config.toString('utf8')) as ImageConfig).rootfs?.diff_ids;
    if (!Array.isArray(diffIDs) || diffIDs.length !== layers.length || layers.length === 0) return undefined;
    return { config, layers: layers.map((l) => ({ offset: l!.dataOffset, size: l!.size })) };
  } catch {
    return undefined;
  }
}

/**
 * From the metadata alone: one image in manifest.json, the index (if any) listing nothing else, and
 * the names recorded there exactly `names` (when given). The full check is passableImage's, after.
 */
function namesAsked(metadata: Map<string, Buffer>, names: string[] | undefined): boolean {
  try {
    const manifest = JSON.parse(metadata.get('manifest.json')?.toString('utf8') ?? 'null') as { RepoTags?: string[] | null }[] | null;
    if (!Array.isArray(manifest) || manifest.length !== 1) return false;
    const index = metadata.has('index.json') ? (JSON.parse(metadata.get('index.json')!.toString('utf8')) as { manifests?: Descriptor[] }) : undefined;
    const listed = index?.manifests ?? [];
    if (new Set(listed.map((d) => d.digest)).size > 1) return false;
    return names === undefined || sameNames(recordedNames(manifest[0].RepoTags ?? [], listed), names);
  } catch {
    return false;
  }
}

function recordedNames(repoTags: string[], listed: Descriptor[]): string[] {
  return [...repoTags, ...listed.map((d) => d.annotations?.[imageNameAnnotation]).filter((n): n is string => !!n)];
}

function sameNames(recordedList: string[], names: string[]): boolean {
  const recorded = recordedList.map(normalized);
  const wanted = names.map(normalized);
  return recorded.length > 0 && recorded.every((n) => n !== undefined && wanted.includes(n)) && wanted.every((n) => recorded.includes(n));
}

/** The archive's one image, when the whole file may stand for it unchanged under `names`. */
function passableImage(contents: ArchiveContents, ref: string | undefined, names: string[] | undefined): ArchiveImage | undefined {
  if (contents.format !== 'docker-archive' || contents.compression !== 'none' || contents.images.length !== 1) return undefined;
  const [image] = contents.images;
  if (selectImage(contents, ref).digest !== image.manifestDescriptor.digest) return undefined;
  const listed = contents.index?.manifests ?? [];
  if (listed.some((d) => d.digest !== image.manifestDescriptor.digest)) return undefined;
  if (names === undefined) return image;
  return sameNames(recordedNames(image.names, listed), names) ? image : undefined;
}

/** The descriptor of the image `ref` names in the archive: `@N`, a tag, an OCI ref name, or the only image. */
export function selectImage(contents: ArchiveContents, ref?: string): Descriptor {
  const { images, index } = contents;
  const ociEntries = contents.format === 'oci-archive' ? (index?.manifests ?? []) : [];
  const available = () => [...new Set([...images.flatMap((i) => i.names), ...ociEntries.map((d) => d.annotations?.[refNameAnnotation]).filter(Boolean)])];
  if (ref === undefined) {
    if (ociEntries.length === 1) return ociEntries[0];
    if (ociEntries.length === 0 && images.length === 1) return images[0].manifestDescriptor;
    const count = Math.max(ociEntries.length, images.length);
    if (count === 0) throw new LighterError('NOT_FOUND', `${contents.path} holds no image`);
    throw new LighterError('INVALID_INPUT', `${contents.path} holds ${count} images: name one after the path (${available().join(', ') || '@0, @1…'})`);
  }
  const position = /^@(\d+)$/.exec(ref);
  if (position) {
    const list = ociEntries.length ? ociEntries : images.map((i) => i.manifestDescriptor);
    const found = list[Number(position[1])];
    if (!found) throw new LighterError('NOT_FOUND', `${contents.path} has no image ${ref} (it holds ${list.length})`);
    return found;
  }
  const entry = ociEntries.find((d) => d.annotations?.[refNameAnnotation] === ref || d.annotations?.[imageNameAnnotation] === ref);
  if (entry) return entry;
  const wanted = normalized(ref);
  const image = images.find((i) => i.names.some((n) => n === ref || (wanted !== undefined && normalized(n) === wanted)));
  if (image) return image.manifestDescriptor;
  throw new LighterError('NOT_FOUND', `No image "${ref}" in ${contents.path}`, { available: available() });
}

function normalized(name: string): string | undefined {
  try {
    const n = parseTaggedName(name);
    return `${n.full}:${n.tag}`;
  } catch {
    return undefined;
  }
}

import { LighterError } from '../errors';
import { isIndexMediaType, MediaType } from '../image/media-types';
import type { Descriptor, ImageIndex } from '../image/types';
import { DirectorySink, TarFileSink, type ContentSink, type OutputCompression } from './content-sink';
import { BlobWriter, ociLayoutFile, parseManifest, type ImageToWrite, type WriteOptions } from './image-writer';

const refNameAnnotation = 'org.opencontainers.image.ref.name';

/**
 * Writes an OCI image layout, as a tar (oci-archive) or a directory. Roots may be image manifests
 * or indexes (several platforms); each name becomes an index.json entry with a ref.name annotation.
 */
export class OciWriter {
  private readonly roots: { names: string[]; descriptor: Descriptor }[] = [];

  private constructor(private readonly blobs: BlobWriter) {}

  static async archive(path: string, options: WriteOptions & { compression?: OutputCompression } = {}): Promise<OciWriter> {
    return OciWriter.start(await TarFileSink.create(path, options), options);
  }

  static async layout(directory: string, options: WriteOptions = {}): Promise<OciWriter> {
    return OciWriter.start(await DirectorySink.create(directory, options), options);
  }

  private static async start(sink: ContentSink, options: WriteOptions): Promise<OciWriter> {
    try {
      return new OciWriter(await BlobWriter.start(sink, options));
    } catch (e) {
      await sink.abort();
      throw e;
    }
  }

  get blobWriter(): BlobWriter {
    return this.blobs;
  }

  /** Child manifests of an index; put them before the index itself. */
  async addChild(manifest: ImageToWrite['manifest']): Promise<void> {
    await this.blobs.putManifest(manifest);
  }

  async addRoot(names: string[], manifest: ImageToWrite['manifest']): Promise<void> {
    const parsed = parseManifest(manifest);
    const children = isIndexMediaType(parsed.mediaType) ? (parsed.manifests ?? []) : [];
    for (const child of children) {
      if (!this.blobs.has(child.digest)) throw new LighterError('INVALID_INPUT', `Manifest ${child.digest} of index ${manifest.digest} was never written`);
    }
    this.roots.push({ names, descriptor: await this.blobs.putManifest(manifest) });
  }

  async commit(): Promise<void> {
    const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
    for (const root of this.roots) {
      if (root.names.length === 0) index.manifests.push(root.descriptor);
      for (const name of root.names) index.manifests.push({ ...root.descriptor, annotations: { [refNameAnnotation]: name } });
    }
    const { sink } = this.blobs;
    const indexBytes = Buffer.from(JSON.stringify(index));
    const layout = ociLayoutFile();
    await sink.file('oci-layout', layout.length, layout);
    await sink.file('index.json', indexBytes.length, indexBytes);
    await sink.commit();
  }

  abort(): Promise<void> {
    return this.blobs.sink.abort();
  }
}

async function writeAll(writer: OciWriter, images: ImageToWrite[]): Promise<void> {
  try {
    await writer.blobWriter.putSources(images);
    for (const image of images) {
      for (const child of image.children ?? []) await writer.addChild(child);
      await writer.addRoot(image.names, image.manifest);
    }
    await writer.commit();
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

/** Writes images to an oci-archive file (a tar of an OCI layout), atomically. */
export async function writeOciArchive(path: string, images: ImageToWrite[], options: WriteOptions & { compression?: OutputCompression } = {}): Promise<void> {
  await writeAll(await OciWriter.archive(path, options), images);
}

/** Writes images to a new OCI layout directory, atomically (refuses an existing non-empty one). */
export async function writeOciLayout(directory: string, images: ImageToWrite[], options: WriteOptions = {}): Promise<void> {
  await writeAll(await OciWriter.layout(directory, options), images);
}

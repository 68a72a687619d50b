import { LighterError } from '../errors';
import { isManifestMediaType, MediaType } from '../image/media-types';
import type { Descriptor, ImageIndex } from '../image/types';
import { TarFileSink, type ContentSink, type OutputCompression } from './content-sink';
import { parseTaggedName } from './image-names';
import { BlobWriter, ociLayoutFile, parseManifest, type ImageToWrite, type WriteOptions } from './image-writer';

interface DockerImageRecord {
  names: string[];
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
}

/**
 * Writes a docker-archive in the Docker 25+ combined layout, which both old loaders (manifest.json)
 * and new ones (the OCI layout inside) accept: oci-layout, index.json, blobs/sha256/*,
 * manifest.json and repositories. Blobs are streamed in and verified; the file appears only on commit.
 */
export class DockerArchiveWriter {
  private readonly images: DockerImageRecord[] = [];

  private constructor(private readonly blobs: BlobWriter) {}

  static async create(path: string, options: WriteOptions & { compression?: OutputCompression } = {}): Promise<DockerArchiveWriter> {
    const sink = await TarFileSink.create(path, options);
    try {
      return new DockerArchiveWriter(await BlobWriter.start(sink, options));
    } catch (e) {
      await sink.abort();
      throw e;
    }
  }

  /** The same archive written into any sink (e.g. a stream into an engine's image load). */
  static async onSink(sink: ContentSink, options: WriteOptions = {}): Promise<DockerArchiveWriter> {
    return new DockerArchiveWriter(await BlobWriter.start(sink, options));
  }

  get blobWriter(): BlobWriter {
    return this.blobs;
  }

  /** Records an image whose config and layers were (or will be) put as blobs. */
  async addImage(names: string[], manifest: ImageToWrite['manifest']): Promise<void> {
    const parsed = parseManifest(manifest);
    if (!isManifestMediaType(parsed.mediaType) || !parsed.config || !Array.isArray(parsed.layers)) {
      throw new LighterError('UNSUPPORTED', `A docker archive holds single-platform images; ${manifest.digest} is ${parsed.mediaType}`);
    }
    names.forEach(parseTaggedName); // refuse bad names before anything is committed
    const descriptor = await this.blobs.putManifest(manifest);
    this.images.push({ names, manifest: descriptor, config: parsed.config, layers: parsed.layers });
  }

  async commit(): Promise<void> {
    const { sink } = this.blobs;
    for (const image of this.images) {
      for (const blob of [image.config, ...image.layers]) {
        if (!this.blobs.has(blob.digest)) throw new LighterError('INVALID_INPUT', `Blob ${blob.digest} was never written to the archive`);
      }
    }
    const path = (d: Descriptor) => `blobs/sha256/${d.digest.slice(7)}`;
    const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
    const repositories: Record<string, Record<string, string>> = {};
    const manifestJson = this.images.map((image) => {
      const tags = image.names.map(parseTaggedName);
      if (tags.length === 0) index.manifests.push(image.manifest);
      for (const name of tags) {
        index.manifests.push({
          ...image.manifest,
          annotations: { 'io.containerd.image.name': `${name.full}:${name.tag}`, 'org.opencontainers.image.ref.name': name.tag },
        });
        const top = image.layers.at(-1);
        if (top) (repositories[name.familiar] ??= {})[name.tag] = top.digest.slice(7);
      }
      return { Config: path(image.config), RepoTags: tags.map((t) => `${t.familiar}:${t.tag}`), Layers: image.layers.map(path) };
    });
    const files: [string, Buffer][] = [
      ['index.json', Buffer.from(JSON.stringify(index))],
      ['manifest.json', Buffer.from(JSON.stringify(manifestJson))],
      ['oci-layout', ociLayoutFile()],
      ['repositories', Buffer.from(JSON.stringify(repositories))],
    ];
    for (const [name, bytes] of files) await sink.file(name, bytes.length, bytes);
    await sink.commit();
  }

  abort(): Promise<void> {
    return this.blobs.sink.abort();
  }
}

/** Writes whole images to a docker-archive at `path` (via a temp file; removed on failure). */
export async function writeDockerArchive(path: string, images: ImageToWrite[], options: WriteOptions & { compression?: OutputCompression } = {}): Promise<void> {
  const writer = await DockerArchiveWriter.create(path, options);
  try {
    await writer.blobWriter.putSources(images);
    for (const image of images) await writer.addImage(image.names, image.manifest);
    await writer.commit();
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

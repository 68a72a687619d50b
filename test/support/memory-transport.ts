import { Readable } from 'node:stream';
import { sha256 } from '../../src-main/core/image/digest';
import { MediaType } from '../../src-main/core/image/media-types';
import type { Descriptor, ImageIndex, ImageManifest, Platform } from '../../src-main/core/image/types';
import type { BlobRequest, DestinationCapabilities, ImageDestination, ImageSource, ManifestBlob, PutBlobOptions } from '../../src-main/core/transport/types';

/** Blobs and manifests in memory, for copy-engine tests that need faults no real place produces. */
export class MemoryImages {
  blobs = new Map<string, Buffer>();
  manifests = new Map<string, ManifestBlob>();

  addBlob(data: Buffer, mediaType: string): Descriptor {
    const digest = sha256(data);
    this.blobs.set(digest, data);
    return { mediaType, digest, size: data.length };
  }

  addManifest(doc: ImageManifest | ImageIndex, mediaType: string, platform?: Platform): Descriptor {
    const bytes = Buffer.from(JSON.stringify(doc));
    const digest = sha256(bytes);
    this.manifests.set(digest, { bytes, mediaType, digest });
    return { mediaType, digest, size: bytes.length, ...(platform ? { platform } : {}) };
  }

  /** An image with `layers` random layers of `size` bytes; returns its manifest descriptor. */
  addImage(layers: number, size: number, platform: Platform = { os: 'linux', architecture: 'amd64' }): Descriptor {
    const layerDescs = Array.from({ length: layers }, () =>
      this.addBlob(Buffer.from(Array.from({ length: size }, () => Math.floor(Math.random() * 256))), MediaType.ociLayerGzip),
    );
    const config = this.addBlob(Buffer.from(JSON.stringify({ ...platform, rootfs: { type: 'layers', diff_ids: [] } })), MediaType.ociConfig);
    const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: layerDescs };
    return this.addManifest(manifest, MediaType.ociManifest, platform);
  }
}

export class MemorySource implements ImageSource {
  readonly name = 'memory:source';
  opened: string[] = [];
  /** What each blob was asked with. */
  requests: BlobRequest[] = [];
  /** Digests whose bytes are served corrupted. */
  corrupt = new Set<string>();
  /** Called before each blob is served, e.g. to cancel mid-copy. */
  beforeBlob?: (d: Descriptor) => void;

  constructor(
    private readonly images: MemoryImages,
    private readonly top: Descriptor,
  ) {}

  async topManifest(): Promise<ManifestBlob> {
    return this.images.manifests.get(this.top.digest)!;
  }
  async manifest(d: Descriptor): Promise<ManifestBlob> {
    const m = this.images.manifests.get(d.digest);
    if (!m) throw new Error(`no manifest ${d.digest}`);
    return m;
  }
  async blob(d: Descriptor, request: BlobRequest = {}): Promise<Readable> {
    this.beforeBlob?.(d);
    this.opened.push(d.digest);
    this.requests.push(request);
    const data = Buffer.from(this.images.blobs.get(d.digest)!);
    if (this.corrupt.has(d.digest)) data[0] ^= 0xff;
    // Small chunks so progress and cancellation happen mid-blob.
    const chunks = [];
    for (let i = 0; i < data.length; i += 1024) chunks.push(data.subarray(i, i + 1024));
    return Readable.from(chunks);
  }
  async close(): Promise<void> {}
}

export class MemoryDestination implements ImageDestination {
  readonly name = 'memory:destination';
  blobs = new Map<string, Buffer>();
  staged = new Map<string, Buffer>();
  manifests: ManifestBlob[] = [];
  committed?: ManifestBlob;
  aborted = false;
  active = 0;
  maxActive = 0;

  constructor(readonly capabilities: DestinationCapabilities = { acceptsIndex: true, sequentialBlobs: false }) {}

  async hasBlob(d: Descriptor): Promise<boolean> {
    return this.blobs.has(d.digest);
  }
  /** What each blob was handed over with. */
  puts: PutBlobOptions[] = [];
  /** The digest of each of `puts`. */
  putDigests: string[] = [];
  async putBlob(d: Descriptor, stream: Readable, options: PutBlobOptions = {}): Promise<void> {
    this.puts.push(options);
    this.putDigests.push(d.digest);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      // Only a stream that ended cleanly (digest verified) becomes a blob.
      this.staged.set(d.digest, Buffer.concat(chunks));
    } finally {
      this.active--;
    }
  }
  async putManifest(m: ManifestBlob): Promise<void> {
    this.manifests.push(m);
  }
  async commit(top: ManifestBlob): Promise<void> {
    for (const [k, v] of this.staged) this.blobs.set(k, v);
    this.committed = top;
  }
  async abort(): Promise<void> {
    this.aborted = true;
    this.staged.clear();
  }
}

import type { Readable } from 'node:stream';
import { LighterError } from '../errors';
import { sha256 } from '../image/digest';
import { MediaType } from '../image/media-types';
import type { Descriptor } from '../image/types';
import type { ManifestBlob } from '../transport/types';
import { checkDescriptor } from './archive-members';
import type { BlobSource } from './archive-model';
import type { ContentSink } from './content-sink';
import { chunksOf } from './stream-chunks';

/** One image (or index, for OCI outputs) to write, with everything it references. */
export interface ImageToWrite {
  /** "name:tag" references to record; may be empty. */
  names: string[];
  /** The top-level manifest or index, exact bytes. */
  manifest: ManifestBlob;
  /** Manifests an index points at (OCI outputs only). */
  children?: ManifestBlob[];
  /** Configs and layers, in any order; each is written once even if several images share it. */
  blobs: BlobSource[];
}

export interface WriteOptions {
  signal?: AbortSignal;
  onProgress?: (progress: { bytesWritten: number }) => void;
}

/** Passes a blob through, checking only its size. */
async function* sized(stream: AsyncIterable<Buffer | Uint8Array>, descriptor: Descriptor): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const piece of chunksOf(stream)) {
    const chunk = Buffer.isBuffer(piece) ? piece : Buffer.from(piece);
    size += chunk.length;
    if (size > descriptor.size) break;
    yield chunk;
  }
  if (size !== descriptor.size) {
    throw new LighterError('DIGEST_MISMATCH', `Size mismatch for blob ${descriptor.digest}: expected ${descriptor.size} bytes, got ${size > descriptor.size ? 'more' : size}`);
  }
}

/** Content-addressed writing into `blobs/sha256/`, shared by the docker-archive and OCI writers. */
export class BlobWriter {
  private readonly written = new Set<string>();
  private lastProgress = 0;

  constructor(
    readonly sink: ContentSink,
    private readonly options: WriteOptions = {},
  ) {}

  static async start(sink: ContentSink, options: WriteOptions): Promise<BlobWriter> {
    await sink.directory('blobs');
    await sink.directory('blobs/sha256');
    return new BlobWriter(sink, options);
  }

  has(digest: string): boolean {
    return this.written.has(digest);
  }

  /**
   * Sets places aside for these blobs, in this order, when the sink can (an uncompressed tar file):
   * `putBlob` may then be called for several of them at once. Blobs already written are left out.
   */
  reserve(descriptors: Descriptor[]): boolean {
    if (!this.sink.reserve) return false;
    const fresh = new Map<string, number>();
    for (const d of descriptors) if (!this.written.has(checkDescriptor(d, 'blob'))) fresh.set(d.digest, d.size);
    return this.sink.reserve([...fresh].map(([digest, size]) => ({ path: `blobs/sha256/${digest.slice(7)}`, size })));
  }

  /**
   * Writes a blob from a stream, checking its size as it passes and having the sink check its digest
   * (as the bytes pass, or behind its writes). `alreadyVerified`: the stream itself fails on wrong
   * bytes, so only its size is checked. `handOver`: nobody reads the chunks after the sink.
   */
  async putBlob(descriptor: Descriptor, stream: Readable | AsyncIterable<Buffer>, options: { alreadyVerified?: boolean; handOver?: boolean } = {}): Promise<void> {
    const digest = checkDescriptor(descriptor, 'blob');
    if (this.written.has(digest)) {
      (stream as Readable).destroy?.();
      return;
    }
    const progress = this.progress.bind(this);
    const counted = async function* () {
      for await (const chunk of sized(stream, descriptor)) {
        yield chunk;
        progress();
      }
    };
    const expected = options.alreadyVerified ? undefined : { digest, what: 'blob' };
    await this.sink.file(`blobs/sha256/${digest.slice(7)}`, descriptor.size, counted(), expected, options.handOver);
    this.written.add(digest);
  }

  async putBytes(bytes: Buffer): Promise<string> {
    const digest = sha256(bytes);
    if (!this.written.has(digest)) {
      await this.sink.file(`blobs/sha256/${digest.slice(7)}`, bytes.length, bytes);
      this.written.add(digest);
    }
    return digest;
  }

  async putManifest(manifest: ManifestBlob): Promise<Descriptor> {
    const digest = await this.putBytes(manifest.bytes);
    if (digest !== manifest.digest) {
      throw new LighterError('DIGEST_MISMATCH', `Digest mismatch for manifest: expected ${manifest.digest}, got ${digest}`);
    }
    return { mediaType: manifest.mediaType, digest, size: manifest.bytes.length };
  }

  /** Writes every blob source of the images, opening each only when needed. */
  async putSources(images: ImageToWrite[]): Promise<void> {
    for (const image of images) {
      for (const source of image.blobs) {
        if (this.written.has(source.descriptor.digest)) continue;
        const stream = await source.open(this.options.signal);
        await this.putBlob(source.descriptor, stream);
      }
    }
  }

  private progress(): void {
    const now = Date.now();
    if (!this.options.onProgress || now - this.lastProgress < 100) return;
    this.lastProgress = now;
    this.options.onProgress({ bytesWritten: this.sink.bytesWritten });
  }
}

export interface ParsedManifest {
  mediaType: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

/** The parts of a manifest or index a writer needs, checked. */
export function parseManifest(manifest: ManifestBlob): ParsedManifest {
  let value: ParsedManifest;
  try {
    value = JSON.parse(manifest.bytes.toString('utf8'));
  } catch {
    throw new LighterError('INVALID_INPUT', `Manifest ${manifest.digest} is not valid JSON`);
  }
  if (value.manifests !== undefined && (value.config !== undefined || value.layers !== undefined)) {
    throw new LighterError('INVALID_INPUT', `Manifest ${manifest.digest} has both manifests and config/layers`);
  }
  value.mediaType = manifest.mediaType || value.mediaType || MediaType.ociManifest;
  return value;
}

export function ociLayoutFile(): Buffer {
  return Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }));
}

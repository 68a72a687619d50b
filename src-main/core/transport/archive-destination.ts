import type { Readable } from 'node:stream';
import type { Descriptor } from '../image/types';
import type { BlobWriter } from '../archive/image-writer';
import type { DestinationCapabilities, ImageDestination, ManifestBlob, PutBlobOptions } from './types';

/** What the archive writers (docker-archive, oci-archive) have in common for a copy. */
export interface ArchiveWriterLike {
  readonly blobWriter: BlobWriter;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Writes a copy into an archive file: blobs are appended to the tar one after another (the copy
 * engine stages parallel downloads), and the file appears under its name only on commit.
 */
export class ArchiveDestination implements ImageDestination {
  readonly capabilities: DestinationCapabilities;
  private writer?: Promise<ArchiveWriterLike>;

  constructor(
    readonly name: string,
    private readonly open: () => Promise<ArchiveWriterLike>,
    private readonly record: {
      acceptsIndex: boolean;
      verifiesDiffIDs?: boolean;
      addChild?: (writer: ArchiveWriterLike, m: ManifestBlob) => Promise<void>;
      addRoot: (writer: ArchiveWriterLike, m: ManifestBlob) => Promise<void>;
    },
  ) {
    this.capabilities = { acceptsIndex: record.acceptsIndex, sequentialBlobs: true, verifiesDiffIDs: record.verifiesDiffIDs, checksBlobs: true };
  }

  /** Opened on first use, so a copy that fails early leaves no temporary file behind. */
  private get(): Promise<ArchiveWriterLike> {
    this.writer ??= this.open();
    return this.writer;
  }

  async hasBlob(d: Descriptor): Promise<boolean> {
    return (await this.get()).blobWriter.has(d.digest);
  }

  async reserveBlobs(descriptors: Descriptor[]): Promise<boolean> {
    return (await this.get()).blobWriter.reserve(descriptors);
  }

  async putBlob(d: Descriptor, stream: Readable, options: PutBlobOptions = {}): Promise<void> {
    const writer = await this.get();
    try {
      // Streams the copy engine checked fail on a wrong byte: no need to hash them a second time.
      await writer.blobWriter.putBlob(d, stream, { alreadyVerified: !options.unverified, handOver: options.handOver });
    } catch (e) {
      stream.destroy();
      throw e;
    }
  }

  async putManifest(m: ManifestBlob): Promise<void> {
    const writer = await this.get();
    if (this.record.addChild) await this.record.addChild(writer, m);
    else await writer.blobWriter.putManifest(m);
  }

  async commit(top: ManifestBlob): Promise<void> {
    const writer = await this.get();
    await this.record.addRoot(writer, top);
    await writer.commit();
  }

  async abort(): Promise<void> {
    const writer = await this.writer?.catch(() => undefined);
    await writer?.abort().catch(() => undefined);
  }
}

import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Descriptor } from '../image/types';
import { OciLayout } from '../layout/layout';
import type { BlobRequest, DestinationCapabilities, ImageDestination, ImageSource, ManifestBlob, PutBlobOptions } from './types';

/** Reads one image (named by its ref annotation, or the only one) from an OCI layout directory. */
export class LayoutSource implements ImageSource {
  constructor(
    readonly name: string,
    private readonly layout: OciLayout,
    private readonly ref?: string,
  ) {}

  async topManifest(): Promise<ManifestBlob> {
    const d = await this.layout.find(this.ref);
    return this.manifest(d);
  }

  async manifest(d: Descriptor): Promise<ManifestBlob> {
    return { bytes: await this.layout.readBlob(d), mediaType: d.mediaType, digest: d.digest };
  }

  async blob(d: Descriptor, request: BlobRequest): Promise<Readable> {
    const stream = this.layout.openBlob(d);
    if (request.signal) request.signal.addEventListener('abort', () => stream.destroy(), { once: true });
    return stream;
  }

  async close(): Promise<void> {}
}

/**
 * Writes into an OCI layout directory: blobs land under their digest as they complete; the index
 * entry is written last.
 */
export class LayoutDestination implements ImageDestination {
  readonly capabilities: DestinationCapabilities = { acceptsIndex: true, sequentialBlobs: false };
  private readonly added: string[] = [];

  constructor(
    readonly name: string,
    private readonly layout: OciLayout,
    private readonly ref?: string,
    private readonly options: { annotations?: Record<string, string>; removeOnAbort?: boolean } = {},
  ) {}

  hasBlob(d: Descriptor): Promise<boolean> {
    return this.layout.hasBlob(d);
  }

  async putBlob(d: Descriptor, stream: Readable, options: PutBlobOptions = {}): Promise<void> {
    if (await this.layout.writeBlob(d, stream, options.signal)) this.added.push(d.digest);
  }

  async putManifest(m: ManifestBlob): Promise<void> {
    if (await this.layout.hasBlob({ digest: m.digest, size: m.bytes.length })) return;
    await this.layout.writeBlobBytes(m, m.bytes);
    this.added.push(m.digest);
  }

  async commit(top: ManifestBlob): Promise<void> {
    await this.putManifest(top);
    const descriptor: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length };
    if (this.options.annotations) descriptor.annotations = { ...this.options.annotations };
    await this.layout.setRef(this.ref, descriptor);
    this.added.length = 0;
  }

  /** Drops the blobs this copy added, unless the layout is shared (the store: its GC takes care). */
  async abort(): Promise<void> {
    if (this.options.removeOnAbort === false) return;
    for (const digest of this.added.splice(0)) await rm(this.layout.blobPath(digest), { force: true }).catch(() => undefined);
  }
}

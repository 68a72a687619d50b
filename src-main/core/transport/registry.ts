import type { Readable } from 'node:stream';
import { LighterError } from '../errors';
import type { Descriptor } from '../image/types';
import { familiarString, manifestReference, type Reference } from '../ref/reference';
import { pullScope, pushScope, type RegistryClient } from '../registry/client';
import { blobExists, fetchBlob } from '../registry/blobs';
import { getManifest, putManifest } from '../registry/manifests';
import { uploadBlob } from '../registry/upload';
import type { BlobRequest, DestinationCapabilities, ImageDestination, ImageSource, ManifestBlob, PutBlobOptions } from './types';

/** Reads an image from a registry; blobs stream verified (and resume) through the registry client. */
export class RegistrySource implements ImageSource {
  readonly name: string;
  readonly remote = true;
  /** fetchBlob checks size and digest as the bytes arrive; a destination that hashes what it writes may do it instead. */
  readonly verifiesBlobs = true;
  readonly verificationOptional = true;

  constructor(
    private readonly client: RegistryClient,
    readonly ref: Reference,
  ) {
    this.name = `docker://${familiarString(ref)}`;
  }

  async topManifest(signal?: AbortSignal): Promise<ManifestBlob> {
    const m = await getManifest(this.client, this.ref, manifestReference(this.ref), signal);
    return { bytes: m.bytes, mediaType: m.mediaType, digest: m.digest };
  }

  async manifest(d: Descriptor, signal?: AbortSignal): Promise<ManifestBlob> {
    const m = await getManifest(this.client, this.ref, d.digest, signal);
    return { bytes: m.bytes, mediaType: m.mediaType || d.mediaType, digest: m.digest };
  }

  async blob(d: Descriptor, request: BlobRequest): Promise<Readable> {
    let last = 0;
    const onProgress = request.onBytes
      ? (bytes: number) => {
          request.onBytes!(bytes - last);
          last = bytes;
        }
      : undefined;
    return fetchBlob(this.client, this.ref, d, { signal: request.signal, onProgress, verify: !request.unverified });
  }

  async close(): Promise<void> {}
}

/**
 * Pushes an image to a registry: blobs it lacks are mounted from the source repository when both
 * are on the same registry, else uploaded; child manifests by digest, the top one last under the tag.
 */
export class RegistryDestination implements ImageDestination {
  readonly capabilities: DestinationCapabilities = { acceptsIndex: true, sequentialBlobs: false };
  readonly name: string;

  constructor(
    private readonly client: RegistryClient,
    readonly ref: Reference,
    /** A repository path of the same registry the blobs may be mounted from. */
    private readonly mountFrom?: string,
  ) {
    this.name = `docker://${familiarString(ref)}`;
  }

  async hasBlob(d: Descriptor, signal?: AbortSignal): Promise<boolean> {
    if (await blobExists(this.client, this.ref, d.digest, signal)) return true;
    if (!this.mountFrom || this.mountFrom === this.ref.path) return false;
    return this.mount(d, signal);
  }

  /** Cross-repository mount: 201 means the registry linked the blob without any bytes sent. */
  private async mount(d: Descriptor, signal?: AbortSignal): Promise<boolean> {
    const query = `?mount=${encodeURIComponent(d.digest)}&from=${encodeURIComponent(this.mountFrom!)}`;
    const res = await this.client.call(this.ref.domain, {
      method: 'POST',
      path: `/v2/${this.ref.path}/blobs/uploads/${query}`,
      headers: { 'content-length': '0' },
      scopes: [pushScope(this.ref), pullScope({ domain: this.ref.domain, path: this.mountFrom! })],
      signal,
      what: `mount of ${d.digest.slice(0, 19)}…`,
    });
    await res.body.dump().catch(() => undefined);
    return res.status === 201;
  }

  async putBlob(d: Descriptor, stream: Readable, { signal }: PutBlobOptions = {}): Promise<void> {
    let opened = false;
    // The bytes flow once from the source: an upload that breaks is not retried with a spent stream.
    const open = () => {
      if (opened) throw new LighterError('NETWORK', `Upload of ${d.digest.slice(0, 19)}… broke off; copy again to resume`);
      opened = true;
      return stream;
    };
    try {
      await uploadBlob(this.client, this.ref, d, open, { signal });
    } catch (e) {
      stream.destroy();
      throw e;
    }
  }

  async putManifest(m: ManifestBlob, signal?: AbortSignal): Promise<void> {
    await putManifest(this.client, this.ref, m.digest, m.bytes, m.mediaType, signal);
  }

  async commit(top: ManifestBlob, signal?: AbortSignal): Promise<void> {
    await putManifest(this.client, this.ref, manifestReference(this.ref), top.bytes, top.mediaType, signal);
  }

  /** Uploaded blobs no manifest references are the registry's garbage to collect. */
  async abort(): Promise<void> {}
}

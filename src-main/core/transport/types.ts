import type { Readable } from 'node:stream';
import type { Descriptor } from '../image/types';

/** Manifest or index bytes exactly as stored: their digest is the image's identity. */
export interface ManifestBlob {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

export interface BlobRequest {
  signal?: AbortSignal;
  /** Called with byte counts as the source reads (before any verification). */
  onBytes?: (bytes: number) => void;
  /** The destination checks the digest of what it writes: a source whose own check is optional leaves it out. */
  unverified?: boolean;
}

/**
 * A place images are read from: a registry, an archive, a layout, the store, an engine. Sources hand
 * out bytes; the copy engine verifies them.
 */
export interface ImageSource {
  /** `docker://…`, `oci-archive:/path`… for messages and progress. */
  readonly name: string;
  /** Reads go over a network and gain from being parallel (a registry); sequential destinations then stage. */
  readonly remote?: boolean;
  /** Blob streams already fail with DIGEST_MISMATCH on wrong bytes or size: the copy engine need not hash them again. */
  readonly verifiesBlobs?: boolean;
  /** With verifiesBlobs: that check is left out when a request says `unverified` (the bytes are hashed once, by the destination). */
  readonly verificationOptional?: boolean;
  /** The top-level manifest or index. */
  topManifest(signal?: AbortSignal): Promise<ManifestBlob>;
  /** A manifest an index points at. */
  manifest(descriptor: Descriptor, signal?: AbortSignal): Promise<ManifestBlob>;
  /** A blob's bytes, streamed. */
  blob(descriptor: Descriptor, request: BlobRequest): Promise<Readable>;
  /**
   * The whole image as one docker-archive tar stream: an engine's save (unverified), or an archive
   * file verified as it passes (it ends only when every check held). Undefined when this source cannot give what the request asks.
   */
  archiveStream?(request?: ArchiveStreamRequest): Promise<ArchiveStream | undefined>;
  close(): Promise<void>;
}

/** What a destination needs of a whole-archive stream. */
export interface ArchiveStreamRequest {
  signal?: AbortSignal;
  /** Every digest checked before the stream can end (the destination cannot check and discard). */
  verified?: boolean;
  /** With `verified`: the names the archive must already record, as it is passed on unchanged. */
  names?: string[];
}

/** A docker-archive tar as it comes out of a source. */
export interface ArchiveStream {
  stream: Readable;
  /** About how many bytes it holds, for progress only. */
  sizeHint?: number;
  /** Exactly how many bytes it holds, when known. */
  size?: number;
  /**
   * Every digest in it is checked before it ends: it fails rather than deliver its last bytes when
   * any check fails (a destination that cannot check, an engine, thus never takes a bad archive).
   */
  verified?: boolean;
  /** With `verified`: what it holds, once checked. */
  image?: Promise<StreamedImage>;
  /** Each chunk read from `stream` is its reader's alone, to give back once done with it (http/read-slabs.ts). */
  handsOver?: boolean;
  /** With `verified`, for a stream that is a file's bytes from the first: where its one image's config and layers lie. */
  layers?: LayerPlan;
}

/** One image of an uncompressed archive file, as a load layer by layer needs it (layered-load.ts). */
export interface LayerPlan {
  /** The image's config as the archive stores it: its diff_ids list the layers in order. */
  config: Buffer;
  /** Where each layer's data lies in the file, in the order of the config's diff_ids. */
  layers: { offset: number; size: number }[];
}

/** What a destination took from an archive stream, once every digest in it was checked. */
export interface StreamedImage {
  /** The image's manifest (synthesized the same way an archive source does for legacy saves). */
  manifest: Descriptor;
  blobs: number;
  bytes: number;
}

/** What a destination can hold, so the copy engine knows what to hand it. */
export interface DestinationCapabilities {
  /** Can store an index (several platforms) rather than one image manifest. */
  acceptsIndex: boolean;
  /** Writes blobs one after another (a tar stream); the copy engine then stages parallel downloads. */
  sequentialBlobs: boolean;
  /**
   * Every layer is also checked against its config's diff_id (compressed layers decompressed on
   * the way) before commit: for destinations that load what they get (an engine).
   */
  verifiesDiffIDs?: boolean;
  /**
   * Checks a blob's digest itself when told its stream is unverified, and fails rather than keep
   * wrong bytes: an archive file hashes big blobs from what it wrote, on a helper thread.
   */
  checksBlobs?: boolean;
}

export interface PutBlobOptions {
  signal?: AbortSignal;
  /** Nobody checked the stream's digest on the way: the destination must (it said it can: checksBlobs). */
  unverified?: boolean;
  /** Nobody reads the stream's chunks after the destination: it may give them back once written (http/read-slabs.ts). */
  handOver?: boolean;
}

/**
 * A place images are written to. Blobs first (verified as they stream in, or by the destination), child
 * manifests next, the top manifest last: `commit` is the moment the image appears, atomically.
 */
export interface ImageDestination {
  readonly name: string;
  readonly capabilities: DestinationCapabilities;
  hasBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<boolean>;
  /** Stores a blob: its stream fails on wrong bytes, or, `unverified`, the destination checks them. */
  putBlob(descriptor: Descriptor, stream: Readable, options?: PutBlobOptions): Promise<void>;
  /**
   * Optional, for sequential destinations: sets places aside for these blobs, in this order (a tar
   * file, sizes known). True when it did: putBlob may then be called for several of them at once.
   */
  reserveBlobs?(descriptors: Descriptor[]): Promise<boolean>;
  putManifest(manifest: ManifestBlob, signal?: AbortSignal): Promise<void>;
  commit(top: ManifestBlob, signal?: AbortSignal): Promise<void>;
  /**
   * Takes a whole docker-archive stream in one pass, verifying every digest on the way; the image
   * appears only when all were checked. Replaces putBlob…commit; failures leave nothing behind.
   */
  putArchiveStream?(archive: ArchiveStream, options: { signal?: AbortSignal; onBytes?: (bytes: number) => void }): Promise<StreamedImage>;
  /** What putArchiveStream needs of the stream (by default: any docker-archive stream, checked on the way). */
  readonly archiveStreamNeeds?: Omit<ArchiveStreamRequest, 'signal'>;
  /** Removes everything temporary; called on failure or cancellation. Never throws. */
  abort(): Promise<void>;
}

import type { Readable } from 'node:stream';
import type { Digest } from '../image/digest';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest, Platform } from '../image/types';
import type { Compression } from './compression';

/** docker-archive: has manifest.json (legacy or Docker 25+ combined); oci-archive: an OCI layout only. */
export type ArchiveFormat = 'docker-archive' | 'oci-archive';
export type ArchiveLayout = 'docker-legacy' | 'docker-oci' | 'oci';

/** Where a blob's bytes sit in the (decompressed) tar. */
export interface ArchiveBlob {
  digest: Digest;
  size: number;
  /** Member path holding the bytes (a link's target, when the archive used a link). */
  path: string;
  dataOffset: number;
}

export interface ArchiveLayer {
  descriptor: Descriptor;
  /** From the config's rootfs.diff_ids. */
  diffID: Digest;
  /** True once the uncompressed bytes were hashed and matched (always, after verifyArchive). */
  diffIDVerified: boolean;
}

export interface ArchiveImage {
  /** Tags as the archive gives them: RepoTags, or io.containerd.image.name / ref.name annotations. */
  names: string[];
  /** The image manifest, exactly as stored, or synthesized for a legacy docker save. */
  manifest: ImageManifest;
  manifestBytes: Buffer;
  manifestDescriptor: Descriptor;
  /** True when no manifest was stored (legacy docker save) and Lighter made one up. */
  synthesized: boolean;
  config: ImageConfig;
  configDescriptor: Descriptor;
  layers: ArchiveLayer[];
  platform?: Platform;
  /** The index (top-level or nested) this image was listed in, if any. */
  parentIndex?: Descriptor;
}

export interface ArchiveContents {
  path: string;
  format: ArchiveFormat;
  layout: ArchiveLayout;
  compression: Compression;
  fileSize: number;
  images: ArchiveImage[];
  /** index.json when the archive has one. */
  index?: ImageIndex;
  /** Manifests and indexes by digest, exact bytes (synthesized ones included). */
  documents: Map<Digest, Buffer>;
  /** Every config and layer blob referenced by an image, by digest. */
  blobs: Map<Digest, ArchiveBlob>;
}

export interface VerifyReport {
  blobs: number;
  layers: number;
  bytes: number;
}

/** A blob handed to a writer: its descriptor and a way to stream its bytes once. */
export interface BlobSource {
  descriptor: Descriptor;
  open(signal?: AbortSignal): Promise<Readable>;
}

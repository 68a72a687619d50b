/** Builds small, valid images (real tar+gzip layers) and pushes them with Lighter's own client. */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { encodeHeader, padding } from '../../src-main/core/archive/tar-header';
import { sha256 } from '../../src-main/core/image/digest';
import { MediaType } from '../../src-main/core/image/media-types';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest, Platform } from '../../src-main/core/image/types';
import { parseReference } from '../../src-main/core/ref/reference';
import { RegistryClient, type RegistryClientOptions } from '../../src-main/core/registry/client';
import { putManifest } from '../../src-main/core/registry/manifests';
import { uploadBlob } from '../../src-main/core/registry/upload';

/** A one-file tar archive (ustar), as a layer's uncompressed content. */
export function tarWithFile(name: string, content: Buffer): Buffer {
  const header = encodeHeader({ path: name, type: 'file', size: content.length, mode: 0o644, mtime: 0, uid: 0, gid: 0, linkname: '' });
  return Buffer.concat([header, content, padding(content.length), Buffer.alloc(1024)]);
}

export interface BuiltImage {
  manifest: ImageManifest;
  manifestBytes: Buffer;
  manifestDigest: string;
  config: ImageConfig;
  configBytes: Buffer;
  /** Every blob (config and layers) by digest. */
  blobs: Map<string, Buffer>;
}

/** An image of `layers` random gzip layers of about `layerSize` bytes each. */
export function buildImage(options: { layers?: number; layerSize?: number; platform?: Platform; mediaType?: 'oci' | 'docker' } = {}): BuiltImage {
  const platform = options.platform ?? { os: 'linux', architecture: 'amd64' };
  const docker = options.mediaType === 'docker';
  const blobs = new Map<string, Buffer>();
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < (options.layers ?? 2); i++) {
    const tar = tarWithFile(`file-${i}.bin`, randomBytes(options.layerSize ?? 4096));
    const gz = gzipSync(tar, { level: 1 });
    diffIds.push(sha256(tar));
    const digest = sha256(gz);
    blobs.set(digest, gz);
    layers.push({ mediaType: docker ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip, digest, size: gz.length });
  }
  const config: ImageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created: new Date().toISOString(),
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: layers.map((_, i) => ({ created_by: `test layer ${i}` })),
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = sha256(configBytes);
  blobs.set(configDigest, configBytes);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: docker ? MediaType.dockerManifest : MediaType.ociManifest,
    config: { mediaType: docker ? MediaType.dockerConfig : MediaType.ociConfig, digest: configDigest, size: configBytes.length },
    layers,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  return { manifest, manifestBytes, manifestDigest: sha256(manifestBytes), config, configBytes, blobs };
}

async function pushBlobs(client: RegistryClient, repo: { domain: string; path: string }, image: BuiltImage): Promise<void> {
  for (const [digest, bytes] of image.blobs) {
    await uploadBlob(client, repo, { mediaType: 'application/octet-stream', digest, size: bytes.length }, () => bytes);
  }
}

export interface PushedImage extends BuiltImage {
  /** `host/repo:tag` */
  ref: string;
}

/** Pushes a random image to `host/repository:tag` (e.g. `registry.host`). */
export async function pushTestImage(
  host: string,
  repository: string,
  tag: string,
  options: Parameters<typeof buildImage>[0] & { client?: RegistryClientOptions } = {},
): Promise<PushedImage> {
  const ref = parseReference(`${host}/${repository}:${tag}`);
  const client = new RegistryClient(options.client);
  try {
    const image = buildImage(options);
    await pushBlobs(client, ref, image);
    await putManifest(client, ref, tag, image.manifestBytes, image.manifest.mediaType!);
    return { ...image, ref: `${host}/${repository}:${tag}` };
  } finally {
    await client.close();
  }
}

export interface PushedIndex {
  ref: string;
  indexDigest: string;
  index: ImageIndex;
  images: Array<BuiltImage & { platform: Platform }>;
}

/**
 * Pushes one image per platform and an OCI index over them, plus (with `attestation`) an
 * attestation manifest entry as buildx adds them.
 */
export async function pushTestIndex(
  host: string,
  repository: string,
  tag: string,
  platforms: Platform[],
  options: { attestation?: boolean; client?: RegistryClientOptions } = {},
): Promise<PushedIndex> {
  const ref = parseReference(`${host}/${repository}:${tag}`);
  const client = new RegistryClient(options.client);
  try {
    const images: PushedIndex['images'] = [];
    const manifests: Descriptor[] = [];
    for (const platform of platforms) {
      const image = buildImage({ platform, layers: 1, layerSize: 2048 });
      await pushBlobs(client, ref, image);
      await putManifest(client, ref, image.manifestDigest, image.manifestBytes, MediaType.ociManifest);
      images.push({ ...image, platform });
      manifests.push({ mediaType: MediaType.ociManifest, digest: image.manifestDigest, size: image.manifestBytes.length, platform });
    }
    if (options.attestation) {
      const att = buildImage({ layers: 1, layerSize: 64, platform: { os: 'unknown', architecture: 'unknown' } });
      await pushBlobs(client, ref, att);
      await putManifest(client, ref, att.manifestDigest, att.manifestBytes, MediaType.ociManifest);
      manifests.push({
        mediaType: MediaType.ociManifest,
        digest: att.manifestDigest,
        size: att.manifestBytes.length,
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': manifests[0].digest },
      });
    }
    const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
    const bytes = Buffer.from(JSON.stringify(index));
    const indexDigest = await putManifest(client, ref, tag, bytes, MediaType.ociIndex);
    return { ref: `${host}/${repository}:${tag}`, indexDigest, index, images };
  } finally {
    await client.close();
  }
}

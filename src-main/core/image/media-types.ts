/** Media types Lighter understands (OCI image-spec and Docker schema2). */
export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

export const manifestMediaTypes: readonly string[] = [MediaType.ociManifest, MediaType.dockerManifest];
export const indexMediaTypes: readonly string[] = [MediaType.ociIndex, MediaType.dockerManifestList];

/** Every manifest and index type, for registry Accept headers. */
export const acceptedManifestTypes: readonly string[] = [...manifestMediaTypes, ...indexMediaTypes];

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && indexMediaTypes.includes(mediaType);
}

export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && manifestMediaTypes.includes(mediaType);
}

export type LayerCompression = 'none' | 'gzip' | 'zstd';

/** How a layer blob of this media type is compressed, as far as its media type says. */
export function layerCompression(mediaType: string): LayerCompression {
  if (mediaType.endsWith('+gzip') || mediaType.endsWith('.tar.gzip')) return 'gzip';
  if (mediaType.endsWith('+zstd')) return 'zstd';
  return 'none';
}

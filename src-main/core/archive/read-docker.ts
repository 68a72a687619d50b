import { LighterError } from '../errors';
import { sha256, type Digest } from '../image/digest';
import { MediaType } from '../image/media-types';
import type { ImageManifest } from '../image/types';
import { normalizeMemberPath } from './archive-path';
import type { ArchiveMembers } from './archive-members';
import type { ArchiveBlob, ArchiveImage } from './archive-model';
import { blobOf, descriptorOf, loadConfig } from './read-config';
import { diffIDMismatch, type OciSide } from './read-oci';
import type { ScannedEntry } from './scan-archive';

const maxImages = 10_000;
const legacyConfigName = /^([a-f0-9]{64})\.json$/;

function invalid(message: string): LighterError {
  return new LighterError('ARCHIVE_INVALID', message);
}

interface ManifestItem {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

export interface DockerSide {
  images: ArchiveImage[];
  documents: Map<Digest, Buffer>;
  blobs: Map<Digest, ArchiveBlob>;
}

/** Reads `manifest.json` (both the legacy and the Docker 25+ layout); `oci` is the OCI side when present. */
export async function readDockerSide(members: ArchiveMembers, oci: OciSide | undefined): Promise<DockerSide> {
  const { value } = await members.json(members.file('manifest.json', 'manifest.json'), 'manifest.json');
  if (!Array.isArray(value)) throw invalid('manifest.json is not a list of images');
  if (value.length === 0) throw invalid('manifest.json lists no images');
  if (value.length > maxImages) throw invalid(`manifest.json lists more than ${maxImages} images`);
  const side: DockerSide = { images: [], documents: new Map(), blobs: new Map() };

  for (const [i, raw] of value.entries()) {
    const item = checkItem(raw, i);
    const label = item.RepoTags?.[0] ?? `image ${i + 1} of manifest.json`;
    const configPath = normalizeMemberPath(item.Config);
    const configEntry = members.file(configPath, `the config of ${label}`);
    const named = legacyConfigName.exec(configPath.split('/').pop()!);
    if (named && configEntry.digest !== `sha256:${named[1]}`) {
      throw new LighterError('DIGEST_MISMATCH', `Config ${configPath} does not match its name: its content hashes to ${configEntry.digest}`);
    }
    const { config, diffIDs } = await loadConfig(members, configEntry, `the config of ${label}`);
    if (diffIDs.length !== item.Layers.length) {
      throw invalid(`${label}: manifest.json lists ${item.Layers.length} layers but the config has ${diffIDs.length} diff_ids`);
    }
    side.blobs.set(configEntry.digest!, blobOf(configEntry));
    const layerEntries = item.Layers.map((p, j) => {
      const path = normalizeMemberPath(p);
      // Only legacy layer paths may be links; blobs/ paths never are.
      const entry = members.file(path, `layer ${j + 1} of ${label}`, { allowLink: !path.startsWith('blobs/') });
      side.blobs.set(entry.digest!, blobOf(entry));
      if (entry.compression === 'none' && entry.digest !== diffIDs[j]) throw diffIDMismatch(entry.digest!, diffIDs[j], entry.digest!);
      return entry;
    });

    const stored = oci?.images.find(
      (image) => image.configDescriptor.digest === configEntry.digest && image.layers.every((l, j) => l.descriptor.digest === layerEntries[j]?.digest),
    );
    const manifest = stored?.manifest ?? synthesizeManifest(configEntry, layerEntries, label);
    const manifestBytes = stored?.manifestBytes ?? Buffer.from(JSON.stringify(manifest));
    const manifestDigest = sha256(manifestBytes);
    side.documents.set(manifestDigest, manifestBytes);
    side.images.push({
      names: [...(item.RepoTags ?? [])],
      manifest,
      manifestBytes,
      manifestDescriptor: { mediaType: manifest.mediaType!, digest: manifestDigest, size: manifestBytes.length },
      synthesized: !stored,
      config,
      configDescriptor: manifest.config,
      layers: manifest.layers.map((descriptor, j) => ({
        descriptor,
        diffID: diffIDs[j],
        diffIDVerified: layerEntries[j].compression === 'none',
      })),
      platform: stored?.platform ?? (config.os ? { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) } : undefined),
    });
  }
  return side;
}

function checkItem(raw: unknown, i: number): ManifestItem {
  const item = raw as Partial<ManifestItem> | null;
  const where = `manifest.json entry ${i + 1}`;
  if (typeof item !== 'object' || item === null) throw invalid(`${where} is not an object`);
  if (typeof item.Config !== 'string' || item.Config === '') throw invalid(`${where} has no Config path`);
  if (!Array.isArray(item.Layers) || !item.Layers.every((l) => typeof l === 'string' && l !== '')) throw invalid(`${where} has no valid Layers list`);
  if (item.RepoTags != null && (!Array.isArray(item.RepoTags) || !item.RepoTags.every((t) => typeof t === 'string'))) {
    throw invalid(`${where} has an invalid RepoTags list`);
  }
  return item as ManifestItem;
}

/** A manifest for an image saved without one: Docker schema2, or OCI when a layer is zstd. */
function synthesizeManifest(configEntry: ScannedEntry, layers: ScannedEntry[], label: string): ImageManifest {
  const oci = layers.some((l) => l.compression === 'zstd');
  const layerType = (entry: ScannedEntry, j: number): string => {
    switch (entry.compression) {
      case 'none':
        return oci ? MediaType.ociLayer : MediaType.dockerLayer;
      case 'gzip':
        return oci ? MediaType.ociLayerGzip : MediaType.dockerLayerGzip;
      case 'zstd':
        return MediaType.ociLayerZstd;
      default:
        throw new LighterError('UNSUPPORTED', `Layer ${j + 1} of ${label} is ${entry.compression}-compressed, which no image manifest can describe`);
    }
  };
  return {
    schemaVersion: 2,
    mediaType: oci ? MediaType.ociManifest : MediaType.dockerManifest,
    config: descriptorOf(oci ? MediaType.ociConfig : MediaType.dockerConfig, configEntry),
    layers: layers.map((entry, j) => descriptorOf(layerType(entry, j), entry)),
  };
}

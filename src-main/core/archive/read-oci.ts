import { LighterError } from '../errors';
import type { Digest } from '../image/digest';
import { isIndexMediaType, isManifestMediaType } from '../image/media-types';
import type { Descriptor, ImageIndex, ImageManifest } from '../image/types';
import { ArchiveMembers, capitalize, checkDescriptor } from './archive-members';
import type { ArchiveBlob, ArchiveImage } from './archive-model';
import { blobOf, isImageConfigType, loadConfig } from './read-config';

const maxIndexDepth = 8;
const maxDocuments = 10_000;
const imageNameAnnotation = 'io.containerd.image.name';
const refNameAnnotation = 'org.opencontainers.image.ref.name';

function invalid(message: string): LighterError {
  return new LighterError('ARCHIVE_INVALID', message);
}

export interface OciSide {
  index: ImageIndex;
  images: ArchiveImage[];
  documents: Map<Digest, Buffer>;
  blobs: Map<Digest, ArchiveBlob>;
}

function isAttestation(descriptor: Descriptor): boolean {
  return (
    descriptor.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' ||
    (descriptor.platform?.os === 'unknown' && descriptor.platform?.architecture === 'unknown')
  );
}

function namesOf(descriptor: Descriptor): string[] {
  const name = descriptor.annotations?.[imageNameAnnotation] ?? descriptor.annotations?.[refNameAnnotation];
  return name ? [name] : [];
}

/** Reads oci-layout + index.json and every manifest they reach (nested indexes included). */
export async function readOciSide(members: ArchiveMembers): Promise<OciSide> {
  const layout = (await members.json(members.file('oci-layout', 'oci-layout'), 'oci-layout')).value as { imageLayoutVersion?: unknown } | null;
  const version = layout?.imageLayoutVersion;
  if (typeof version !== 'string') throw invalid('oci-layout has no imageLayoutVersion');
  if (!version.startsWith('1.')) throw new LighterError('UNSUPPORTED', `OCI layout version ${version.slice(0, 20)} is not supported (1.x is)`);

  const { value: indexValue } = await members.json(members.file('index.json', 'index.json'), 'index.json');
  const index = checkIndex(indexValue, 'index.json');
  const side: OciSide = { index, images: [], documents: new Map(), blobs: new Map() };
  const byManifest = new Map<string, ArchiveImage>();
  let documents = 0;

  const visit = async (descriptor: Descriptor, names: string[], parent: Descriptor | undefined, depth: number, what: string): Promise<void> => {
    const digest = checkDescriptor(descriptor, what);
    if (++documents > maxDocuments) throw invalid(`Archive lists more than ${maxDocuments} manifests`);
    const known = byManifest.get(digest);
    if (known) {
      for (const name of names) if (!known.names.includes(name)) known.names.push(name);
      return;
    }
    const entry = members.blob(descriptor, what);
    const { bytes, value } = await members.json(entry, what);
    const doc = value as Record<string, unknown> | null;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid(`${capitalize(what)} is not a JSON object`);
    const mediaType = descriptor.mediaType ?? (doc.mediaType as string | undefined);
    side.documents.set(digest, bytes);

    if (isIndexMediaType(mediaType) || (mediaType === undefined && Array.isArray(doc.manifests))) {
      if (depth >= maxIndexDepth) throw invalid(`Archive nests indexes deeper than ${maxIndexDepth} levels`);
      const child = checkIndex(doc, what);
      for (const [i, d] of child.manifests.entries()) {
        if (isAttestation(d)) continue;
        await visit(d, names, descriptor, depth + 1, `manifest ${i + 1} of index ${digest.slice(0, 19)}`);
      }
      return;
    }
    if (!isManifestMediaType(mediaType) && !(mediaType === undefined && typeof doc.config === 'object')) return; // not an image
    const manifest = checkManifest(doc, what);
    if (!isImageConfigType(manifest.config.mediaType)) return; // an artifact, not an image
    const configEntry = members.blob(manifest.config, `config of ${what}`);
    const { config, diffIDs } = await loadConfig(members, configEntry, `config ${manifest.config.digest}`);
    if (diffIDs.length !== manifest.layers.length) {
      throw invalid(`Manifest ${digest} lists ${manifest.layers.length} layers but its config has ${diffIDs.length} diff_ids`);
    }
    side.blobs.set(configEntry.digest!, blobOf(configEntry));
    const layers = manifest.layers.map((layer, i) => {
      const layerEntry = members.blob(layer, `layer ${i + 1} of manifest ${digest.slice(0, 19)}`);
      side.blobs.set(layerEntry.digest!, blobOf(layerEntry));
      const diffID = diffIDs[i];
      const plain = layerEntry.compression === 'none';
      if (plain && layerEntry.digest !== diffID) throw diffIDMismatch(layer.digest, diffID, layerEntry.digest!);
      return { descriptor: layer, diffID, diffIDVerified: plain };
    });
    const image: ArchiveImage = {
      names: [...names],
      manifest,
      manifestBytes: bytes,
      manifestDescriptor: { ...descriptor, digest, mediaType: mediaType ?? manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json' },
      synthesized: false,
      config,
      configDescriptor: manifest.config,
      layers,
      platform: descriptor.platform ?? (config.os ? { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) } : undefined),
      parentIndex: parent,
    };
    byManifest.set(digest, image);
    side.images.push(image);
  };

  for (const [i, descriptor] of index.manifests.entries()) {
    if (isAttestation(descriptor)) continue;
    await visit(descriptor, namesOf(descriptor), undefined, 0, `manifest ${i + 1} of index.json`);
  }
  return side;
}

export function diffIDMismatch(layerDigest: string, diffID: string, actual: string): LighterError {
  return new LighterError('DIGEST_MISMATCH', `Layer ${layerDigest} does not match its diff_id: uncompressed it hashes to ${actual}, the config says ${diffID}`, {
    expected: diffID,
    actual,
  });
}

function checkIndex(value: unknown, what: string): ImageIndex {
  const doc = value as Partial<ImageIndex> & { config?: unknown; layers?: unknown };
  if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.manifests)) throw invalid(`${capitalize(what)} is not an image index`);
  // An index that also carries config/layers is ambiguous (CVE-2021-41190): refuse it.
  if (doc.config !== undefined || doc.layers !== undefined) throw invalid(`${capitalize(what)} has both manifests and config/layers`);
  doc.manifests.forEach((d, i) => checkDescriptor(d, `manifest ${i + 1} of ${what}`));
  return doc as ImageIndex;
}

function checkManifest(value: Record<string, unknown>, what: string): ImageManifest {
  if (value.manifests !== undefined) throw invalid(`${capitalize(what)} has both manifests and config/layers`);
  if (!Array.isArray(value.layers) || typeof value.config !== 'object') throw invalid(`${capitalize(what)} is not an image manifest`);
  checkDescriptor(value.config, `config of ${what}`);
  (value.layers as unknown[]).forEach((d, i) => checkDescriptor(d, `layer ${i + 1} of ${what}`));
  return value as unknown as ImageManifest;
}


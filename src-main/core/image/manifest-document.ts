import { type ErrorCode, LighterError } from '../errors';
import { MediaType, indexMediaTypes, manifestMediaTypes } from './media-types';
import type { Descriptor, ImageIndex, ImageManifest } from './types';

/** A parsed manifest or index, with the media type it was served as. */
export type ManifestDocument =
  | { kind: 'index'; mediaType: string; index: ImageIndex }
  | { kind: 'manifest'; mediaType: string; manifest: ImageManifest };

const descriptorDigest = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

function checkDescriptor(d: unknown, where: string, fail: (why: string) => never): Descriptor {
  if (typeof d !== 'object' || d === null) fail(`${where} is not an object`);
  const o = d as Record<string, unknown>;
  if (typeof o.mediaType !== 'string' || o.mediaType === '') fail(`${where} has no mediaType`);
  if (typeof o.digest !== 'string' || !descriptorDigest.test(o.digest)) fail(`${where} has an invalid digest`);
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) fail(`${where} has an invalid size`);
  return o as unknown as Descriptor;
}

/**
 * Parses manifest bytes as served by a registry or found in a layout. `contentType` (the HTTP
 * header or the referring descriptor's mediaType) is used when the document does not say.
 * Malformed documents fail with `errorCode` (REGISTRY_ERROR by default); unsupported kinds with UNSUPPORTED.
 */
export function parseManifestDocument(bytes: Uint8Array, contentType?: string, errorCode: ErrorCode = 'REGISTRY_ERROR'): ManifestDocument {
  const fail = (why: string): never => {
    throw new LighterError(errorCode, `Invalid manifest: ${why}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    fail('not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('not a JSON object');
  const o = doc as Record<string, unknown>;
  if (o.schemaVersion === 1) throw new LighterError('UNSUPPORTED', 'Docker schema 1 manifests are not supported (the image is too old; rebuild or re-push it)');
  if (o.schemaVersion !== 2) fail(`schemaVersion ${JSON.stringify(o.schemaVersion)} is not 2`);
  const hasManifests = o.manifests !== undefined;
  const hasImageParts = o.layers !== undefined || o.config !== undefined;
  if (hasManifests && hasImageParts) fail('it has both "manifests" and "layers"/"config"');

  const declared = typeof o.mediaType === 'string' && o.mediaType !== '' ? o.mediaType : undefined;
  const header = contentType?.split(';')[0].trim() || undefined;
  const mediaType =
    declared ?? (header && [...indexMediaTypes, ...manifestMediaTypes].includes(header) ? header : hasManifests ? MediaType.ociIndex : MediaType.ociManifest);

  if (indexMediaTypes.includes(mediaType)) {
    if (hasImageParts) fail('an index must not have "layers" or "config"');
    if (!Array.isArray(o.manifests)) fail('"manifests" is not a list');
    (o.manifests as unknown[]).forEach((d, i) => checkDescriptor(d, `manifests[${i}]`, fail));
    return { kind: 'index', mediaType, index: o as unknown as ImageIndex };
  }
  if (manifestMediaTypes.includes(mediaType)) {
    if (hasManifests) fail('an image manifest must not have "manifests"');
    checkDescriptor(o.config, 'config', fail);
    if (!Array.isArray(o.layers)) fail('"layers" is not a list');
    (o.layers as unknown[]).forEach((d, i) => checkDescriptor(d, `layers[${i}]`, fail));
    return { kind: 'manifest', mediaType, manifest: o as unknown as ImageManifest };
  }
  throw new LighterError('UNSUPPORTED', `Unsupported manifest media type "${mediaType.slice(0, 120)}"`);
}

/** Bytes of config plus layers: what `docker manifest inspect`-style listings call an image's size. */
export function manifestContentSize(manifest: ImageManifest): number {
  return manifest.config.size + manifest.layers.reduce((sum, l) => sum + l.size, 0);
}

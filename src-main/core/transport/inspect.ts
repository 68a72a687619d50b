import { LighterError } from '../errors';
import { sha256 } from '../image/digest';
import { parseManifestDocument } from '../image/manifest-document';
import { hostPlatform, isAttestation, platformString, selectPlatformManifest } from '../image/platform';
import type { Descriptor, ImageConfig, Platform } from '../image/types';
import type { ImageSource, ManifestBlob } from './types';

const maxConfigBytes = 20 * 1024 * 1024;

export interface PlaceDescription {
  name: string;
  /** Digest and media type of the top manifest or index. */
  digest: string;
  mediaType: string;
  /** Platforms an index offers (attestations left out); empty for a single image. */
  platforms: string[];
  /** The image described below: the only one, or the chosen platform's. */
  image: {
    digest: string;
    mediaType: string;
    platform: string;
    created?: string;
    author?: string;
    config: { digest: string; size: number; mediaType: string };
    entrypoint?: string[] | null;
    cmd?: string[] | null;
    env: string[];
    workingDir?: string;
    user?: string;
    labels: Record<string, string>;
    exposedPorts: string[];
    layers: { digest: string; size: number; mediaType: string; diffID?: string }[];
    /** Config and layers, as stored. */
    size: number;
  };
}

/** The top manifest's bytes exactly as the source holds them (checked against its digest). */
export async function rawManifest(source: ImageSource, signal?: AbortSignal): Promise<ManifestBlob> {
  const top = await source.topManifest(signal);
  const actual = sha256(top.bytes);
  if (actual !== top.digest) throw new LighterError('DIGEST_MISMATCH', `Manifest digest mismatch: expected ${top.digest}, got ${actual}`);
  return top;
}

/** Reads manifests and the config of any source; no layer is read and nothing is loaded anywhere. */
export async function describeSource(source: ImageSource, options: { platform?: Platform; signal?: AbortSignal } = {}): Promise<PlaceDescription> {
  const { signal } = options;
  const top = await rawManifest(source, signal);
  const doc = parseManifestDocument(top.bytes, top.mediaType);
  let manifest = top;
  let platforms: string[] = [];
  if (doc.kind === 'index') {
    const entries = doc.index.manifests.filter((d) => !isAttestation(d));
    platforms = entries.map((d) => (d.platform ? platformString(d.platform) : 'unknown'));
    const chosen = selectPlatformManifest(doc.index.manifests, options.platform ?? hostPlatform());
    manifest = await source.manifest(chosen, signal);
    if (sha256(manifest.bytes) !== chosen.digest) throw new LighterError('DIGEST_MISMATCH', `Manifest ${chosen.digest} does not match its digest`);
  }
  const image = parseManifestDocument(manifest.bytes, manifest.mediaType);
  if (image.kind !== 'manifest') throw new LighterError('UNSUPPORTED', 'The chosen platform points at another index');
  const config = await readConfig(source, image.manifest.config, signal);
  const layers = image.manifest.layers.map((l, i) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType, diffID: config.rootfs?.diff_ids?.[i] }));
  const c = config.config ?? {};
  return {
    name: source.name,
    digest: top.digest,
    mediaType: top.mediaType,
    platforms,
    image: {
      digest: manifest.digest,
      mediaType: manifest.mediaType,
      platform: platformString({ os: config.os, architecture: config.architecture, variant: config.variant }),
      created: config.created,
      author: config.author,
      config: { digest: image.manifest.config.digest, size: image.manifest.config.size, mediaType: image.manifest.config.mediaType },
      entrypoint: c.Entrypoint,
      cmd: c.Cmd,
      env: c.Env ?? [],
      workingDir: c.WorkingDir,
      user: c.User,
      labels: c.Labels ?? {},
      exposedPorts: Object.keys(c.ExposedPorts ?? {}),
      layers,
      size: image.manifest.config.size + layers.reduce((s, l) => s + l.size, 0),
    },
  };
}

/** The config blob, size-capped and hashed before it is believed. */
async function readConfig(source: ImageSource, d: Descriptor, signal?: AbortSignal): Promise<ImageConfig> {
  if (d.size > maxConfigBytes) throw new LighterError('UNSUPPORTED', `Config ${d.digest} is larger than ${maxConfigBytes} bytes`);
  const stream = await source.blob(d, { signal });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > d.size) break;
    chunks.push(chunk);
  }
  stream.destroy();
  const bytes = Buffer.concat(chunks);
  if (bytes.length !== d.size || sha256(bytes) !== d.digest) throw new LighterError('DIGEST_MISMATCH', `Config ${d.digest} does not match its digest`);
  try {
    return JSON.parse(bytes.toString('utf8')) as ImageConfig;
  } catch {
    throw new LighterError('ARCHIVE_INVALID', `Config ${d.digest} is not valid JSON`);
  }
}

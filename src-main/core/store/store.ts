import { homedir } from 'node:os';
import { join } from 'node:path';
import { LighterError } from '../errors';
import { parseManifestDocument } from '../image/manifest-document';
import { isAttestation, platformString } from '../image/platform';
import type { Descriptor, ImageConfig } from '../image/types';
import { OciLayout, REF_NAME } from '../layout/layout';
import { canonicalString, familiarString, normalizeForPull, parseReference } from '../ref/reference';
import { LayoutDestination, LayoutSource } from '../transport/oci-layout';

/** Where the store lives: $LIGHTER_STORE, else the platform's per-user data folder. */
export function defaultStoreDir(env: NodeJS.ProcessEnv = process.env, home = homedir(), platform = process.platform): string {
  if (env.LIGHTER_STORE) return env.LIGHTER_STORE;
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Lighter', 'store');
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'Lighter', 'store');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'lighter', 'store');
}

export interface StoreImage {
  /** Full reference, e.g. docker.io/library/busybox:latest */
  reference: string;
  /** Familiar form, e.g. busybox:latest */
  familiar: string;
  digest: string;
  mediaType: string;
  platforms: string[];
  /** Bytes of config and layers (each platform's layers counted). */
  size: number;
  created?: string;
}

/**
 * Lighter's own image store, an OCI layout in the user's data folder: it works with no engine at all.
 * Images are named by their full reference; blobs are shared between images.
 */
export class ImageStore {
  private constructor(readonly layout: OciLayout) {}

  static async open(dir: string): Promise<ImageStore> {
    return new ImageStore(await OciLayout.open(dir, { create: true }));
  }

  get dir(): string {
    return this.layout.dir;
  }

  /** Canonical store key of a user's reference: `docker.io/library/busybox:latest`. */
  static key(reference: string): string {
    return canonicalString(normalizeForPull(parseReference(reference)));
  }

  source(reference: string): LayoutSource {
    return new LayoutSource(`store:${reference}`, this.layout, ImageStore.key(reference));
  }

  destination(reference: string): LayoutDestination {
    const key = ImageStore.key(reference);
    return new LayoutDestination(`store:${reference}`, this.layout, key, {
      annotations: { 'io.containerd.image.name': key },
      removeOnAbort: false,
    });
  }

  async list(): Promise<StoreImage[]> {
    const { manifests } = await this.layout.readIndex();
    const images = await Promise.all(manifests.filter((d) => d.annotations?.[REF_NAME]).map((d) => this.describe(d)));
    return images.sort((a, b) => a.reference.localeCompare(b.reference));
  }

  async remove(reference: string): Promise<void> {
    await this.layout.removeRef(ImageStore.key(reference)).catch((e) => {
      if (e instanceof LighterError && e.code === 'NOT_FOUND') throw new LighterError('NOT_FOUND', `No image ${reference} in the store`);
      throw e;
    });
  }

  gc(options?: { graceMs?: number }): Promise<{ removed: string[]; bytes: number }> {
    return this.layout.garbageCollect(options);
  }

  private async describe(d: Descriptor): Promise<StoreImage> {
    const reference = d.annotations![REF_NAME];
    const image: StoreImage = { reference, familiar: familiarOf(reference), digest: d.digest, mediaType: d.mediaType, platforms: [], size: 0 };
    const doc = parseManifestDocument(await this.layout.readBlob(d), d.mediaType, 'ARCHIVE_INVALID');
    const manifests = doc.kind === 'index' ? doc.index.manifests.filter((m) => !isAttestation(m)) : [d];
    for (const m of manifests) {
      if (!(await this.layout.hasBlob(m))) continue;
      const child = parseManifestDocument(await this.layout.readBlob(m), m.mediaType, 'ARCHIVE_INVALID');
      if (child.kind !== 'manifest') continue;
      image.size += child.manifest.config.size + child.manifest.layers.reduce((s, l) => s + l.size, 0);
      const config = JSON.parse((await this.layout.readBlob(child.manifest.config)).toString('utf8')) as ImageConfig;
      image.platforms.push(platformString({ os: config.os, architecture: config.architecture, variant: config.variant }));
      image.created ??= config.created;
    }
    return image;
  }
}

function familiarOf(reference: string): string {
  try {
    return familiarString(parseReference(reference));
  } catch {
    return reference;
  }
}

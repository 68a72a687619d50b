import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LighterError } from '../errors';
import { digestHex, isDigest } from '../image/digest';
import { parseManifestDocument } from '../image/manifest-document';
import { MediaType } from '../image/media-types';
import type { Descriptor, ImageIndex } from '../image/types';
import { writeError } from '../write-errors';
import { withFileLock } from './lock';

/** The annotation naming an entry of index.json (`oci:DIR:NAME`, or a full reference in the store). */
export const REF_NAME = 'org.opencontainers.image.ref.name';
const MAX_JSON = 20 * 1024 * 1024;

/**
 * An OCI image layout directory (image-layout.md): `oci-layout`, `index.json`, `blobs/sha256/<hex>`.
 * Blobs are written to a temporary name and renamed once complete, so a blob under its final name is
 * always whole; index.json is rewritten under a lock, atomically.
 */
export class OciLayout {
  private constructor(readonly dir: string) {}

  static async open(dir: string, { create = false } = {}): Promise<OciLayout> {
    const layout = new OciLayout(dir);
    try {
      const marker = JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8'));
      if (marker.imageLayoutVersion !== '1.0.0') throw new LighterError('UNSUPPORTED', `Unsupported OCI layout version in ${dir}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        if (e instanceof LighterError) throw e;
        throw new LighterError('ARCHIVE_INVALID', `${dir} is not a valid OCI layout: bad oci-layout file`);
      }
      if (!create) throw new LighterError('NOT_FOUND', `No OCI layout at ${dir}`);
      await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
      await writeAtomic(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
      await layout.updateIndex((index) => index);
    }
    return layout;
  }

  blobPath(digest: string): string {
    if (!isDigest(digest)) throw new LighterError('INVALID_INPUT', `Unsupported digest ${digest.slice(0, 80)}`);
    return join(this.dir, 'blobs', 'sha256', digestHex(digest));
  }

  async hasBlob(descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<boolean> {
    try {
      const s = await stat(this.blobPath(descriptor.digest));
      return s.isFile() && (descriptor.size < 0 || s.size === descriptor.size);
    } catch {
      return false;
    }
  }

  openBlob(descriptor: Pick<Descriptor, 'digest'>, start = 0): Readable {
    return createReadStream(this.blobPath(descriptor.digest), { start, highWaterMark: 1 << 20 });
  }

  async readBlob(descriptor: Pick<Descriptor, 'digest' | 'size'>, limit = MAX_JSON): Promise<Buffer> {
    if (descriptor.size > limit) throw new LighterError('ARCHIVE_INVALID', `Blob ${descriptor.digest} is larger than ${limit} bytes`);
    try {
      return await readFile(this.blobPath(descriptor.digest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new LighterError('NOT_FOUND', `Blob ${descriptor.digest} is missing from ${this.dir}`);
      throw e;
    }
  }

  /**
   * Writes a blob from a stream (verified by whoever produced it) to a temporary file, syncs it and
   * renames it into place. Returns false when the blob was already there.
   */
  async writeBlob(descriptor: Pick<Descriptor, 'digest'>, stream: Readable, signal?: AbortSignal): Promise<boolean> {
    const final = this.blobPath(descriptor.digest);
    const temp = `${final}.partial-${randomBytes(6).toString('hex')}`;
    try {
      await pipeline(stream, createWriteStream(temp, { flags: 'wx' }), { signal });
      await fsyncFile(temp);
      if (await exists(final)) {
        await rm(temp, { force: true });
        return false;
      }
      await rename(temp, final);
      return true;
    } catch (e) {
      stream.destroy();
      await rm(temp, { force: true });
      throw writeError(e, this.dir);
    }
  }

  async writeBlobBytes(descriptor: Pick<Descriptor, 'digest'>, bytes: Buffer): Promise<void> {
    const final = this.blobPath(descriptor.digest);
    if (await exists(final)) return;
    await writeAtomic(final, bytes);
  }

  async readIndex(): Promise<ImageIndex> {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.dir, 'index.json'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyIndex();
      throw e;
    }
    if (bytes.length > MAX_JSON) throw new LighterError('ARCHIVE_INVALID', `index.json in ${this.dir} is too large`);
    const doc = parseManifestDocument(bytes, MediaType.ociIndex, 'ARCHIVE_INVALID');
    if (doc.kind !== 'index') throw new LighterError('ARCHIVE_INVALID', `index.json in ${this.dir} is not an index`);
    return doc.index;
  }

  /** Read-modify-write of index.json under the layout's lock; the new file replaces the old atomically. */
  async updateIndex(change: (index: ImageIndex) => ImageIndex | Promise<ImageIndex>): Promise<ImageIndex> {
    return withFileLock(join(this.dir, 'index.json.lock'), async () => {
      const next = await change(await this.readIndex());
      await writeAtomic(join(this.dir, 'index.json'), JSON.stringify(next));
      return next;
    });
  }

  /** The index entry named `ref`, or the only entry when `ref` is omitted and there is just one. */
  async find(ref?: string): Promise<Descriptor> {
    const { manifests } = await this.readIndex();
    if (ref === undefined) {
      if (manifests.length === 1) return manifests[0];
      throw new LighterError(
        manifests.length ? 'INVALID_INPUT' : 'NOT_FOUND',
        manifests.length ? `${this.dir} holds ${manifests.length} images: name one (${names(manifests).join(', ')})` : `${this.dir} holds no image`,
      );
    }
    const found = manifests.find((d) => d.annotations?.[REF_NAME] === ref || d.digest === ref);
    if (!found) throw new LighterError('NOT_FOUND', `No image "${ref}" in ${this.dir}`, { available: names(manifests) });
    return found;
  }

  /** Points `ref` at a manifest (replacing what it named before). */
  async setRef(ref: string | undefined, descriptor: Descriptor): Promise<void> {
    await this.updateIndex((index) => {
      const entry: Descriptor = ref === undefined ? { ...descriptor } : { ...descriptor, annotations: { ...descriptor.annotations, [REF_NAME]: ref } };
      const others = index.manifests.filter((d) => (ref === undefined ? d.digest !== descriptor.digest : d.annotations?.[REF_NAME] !== ref));
      return { ...index, manifests: [...others, entry] };
    });
  }

  async removeRef(ref: string): Promise<Descriptor> {
    let removed: Descriptor | undefined;
    await this.updateIndex((index) => {
      removed = index.manifests.find((d) => d.annotations?.[REF_NAME] === ref || d.digest === ref);
      if (!removed) throw new LighterError('NOT_FOUND', `No image "${ref}" in ${this.dir}`);
      return { ...index, manifests: index.manifests.filter((d) => d !== removed) };
    });
    return removed!;
  }

  /**
   * Deletes blobs no index entry reaches; returns what went and the bytes freed. Blobs younger than
   * `graceMs` are kept: another process may be copying an image that will reference them.
   */
  async garbageCollect({ graceMs = 10 * 60_000 } = {}): Promise<{ removed: string[]; bytes: number }> {
    return withFileLock(join(this.dir, 'index.json.lock'), async () => {
      const reachable = new Set<string>();
      const visit = async (d: Descriptor, depth: number): Promise<void> => {
        if (reachable.has(d.digest) || depth > 8) return;
        reachable.add(d.digest);
        if (d.mediaType !== MediaType.ociIndex && d.mediaType !== MediaType.dockerManifestList && d.mediaType !== MediaType.ociManifest && d.mediaType !== MediaType.dockerManifest) return;
        if (!(await this.hasBlob({ digest: d.digest, size: -1 }))) return;
        const doc = parseManifestDocument(await this.readBlob(d), d.mediaType, 'ARCHIVE_INVALID');
        const children = doc.kind === 'index' ? doc.index.manifests : [doc.manifest.config, ...doc.manifest.layers];
        for (const child of children) await visit(child, depth + 1);
      };
      for (const d of (await this.readIndex()).manifests) await visit(d, 0);
      const removed: string[] = [];
      let bytes = 0;
      const blobDir = join(this.dir, 'blobs', 'sha256');
      for (const name of await readdir(blobDir)) {
        const path = join(blobDir, name);
        const isPartial = name.includes('.partial-');
        if (!isPartial && reachable.has(`sha256:${name}`)) continue;
        const info = await stat(path);
        if (Date.now() - info.mtimeMs < (isPartial ? Math.max(graceMs, 3_600_000) : graceMs)) continue;
        await rm(path, { force: true });
        removed.push(isPartial ? name : `sha256:${name}`);
        bytes += info.size;
      }
      return { removed, bytes };
    });
  }
}

function emptyIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
}

function names(manifests: Descriptor[]): string[] {
  return manifests.map((d) => d.annotations?.[REF_NAME] ?? d.digest);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a small file under a temporary name, syncs and renames it over the final name. */
export async function writeAtomic(path: string, data: string | Buffer): Promise<void> {
  const temp = `${path}.partial-${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(temp, data, { flag: 'wx' });
    await fsyncFile(temp);
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw writeError(e, path);
  }
}

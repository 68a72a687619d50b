/**
 * Builders for tar archives in memory, well-formed and deliberately broken, for the archive tests.
 * Well-formed pieces come from the product's own tar writer; the broken ones are forged by hand.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tarEnd, tarEntry, type TarEntryToWrite } from '../../src-main/core/archive/tar-writer';
import { MediaType } from '../../src-main/core/image/media-types';
import type { Descriptor, ImageConfig, ImageManifest } from '../../src-main/core/image/types';

export type FixtureEntry = TarEntryToWrite & { data?: Buffer | string };

export async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

/** A tar of the given entries; `end: false` leaves out the end-of-archive marker. */
export async function buildTar(entries: FixtureEntry[], options: { end?: boolean } = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const { data, ...entry } of entries) {
    const body = data === undefined ? undefined : Buffer.from(data);
    parts.push(await collect(tarEntry(entry.type && entry.type !== 'file' ? entry : { ...entry, size: body?.length ?? 0 }, body)));
  }
  if (options.end !== false) parts.push(tarEnd());
  return Buffer.concat(parts);
}

/** One raw ustar header block with a correct checksum unless told otherwise. */
export function rawHeader(fields: { name: string; size?: number; typeflag?: string; linkname?: string; sizeField?: Buffer; badChecksum?: boolean }): Buffer {
  const block = Buffer.alloc(512);
  block.write(fields.name, 0, 100, 'utf8');
  block.write('0000644\0', 100, 8, 'latin1');
  block.write('0000000\0', 108, 8, 'latin1');
  block.write('0000000\0', 116, 8, 'latin1');
  if (fields.sizeField) fields.sizeField.copy(block, 124, 0, 12);
  else block.write((fields.size ?? 0).toString(8).padStart(11, '0') + '\0', 124, 12, 'latin1');
  block.write('00000000000\0', 136, 12, 'latin1');
  block.write('        ', 148, 8, 'latin1');
  block.write(fields.typeflag ?? '0', 156, 1, 'latin1');
  block.write(fields.linkname ?? '', 157, 100, 'utf8');
  block.write('ustar\0' + '00', 257, 8, 'latin1');
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += block[i];
  if (fields.badChecksum) sum += 1;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return block;
}

/** Data padded to whole blocks. */
export function blocks(data: Buffer): Buffer {
  const rest = data.length % 512;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(512 - rest)]);
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function digestOf(data: Buffer | string): string {
  return `sha256:${sha256Hex(data)}`;
}

/** A small layer tar with a few files of random bytes. */
export async function randomLayer(files = 2, bytesEach = 2048): Promise<Buffer> {
  const entries: FixtureEntry[] = [{ path: 'data', type: 'directory' }];
  for (let i = 0; i < files; i++) entries.push({ path: `data/file-${i}.bin`, data: randomBytes(bytesEach) });
  return buildTar(entries);
}

export interface FixtureImage {
  name: string;
  config: Buffer;
  configDigest: string;
  layers: { tar: Buffer; stored: Buffer; diffID: string; digest: string; mediaType: string }[];
  manifest: Buffer;
  manifestDigest: string;
}

/** An image (config + manifest) over the given layer tars; `gzip` stores layers compressed. */
export function makeImage(name: string, layerTars: Buffer[], options: { gzip?: boolean; docker?: boolean } = {}): FixtureImage {
  const docker = options.docker === true;
  const layers = layerTars.map((tar) => {
    const stored = options.gzip ? gzipSync(tar) : tar;
    const mediaType = options.gzip ? (docker ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip) : docker ? MediaType.dockerLayer : MediaType.ociLayer;
    return { tar, stored, diffID: digestOf(tar), digest: digestOf(stored), mediaType };
  });
  const configObject: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/bin'], Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
    history: layers.map((_, i) => ({ created_by: `fixture layer ${i}` })),
  };
  const config = Buffer.from(JSON.stringify(configObject));
  const configDescriptor: Descriptor = { mediaType: docker ? MediaType.dockerConfig : MediaType.ociConfig, digest: digestOf(config), size: config.length };
  const manifestObject: ImageManifest = {
    schemaVersion: 2,
    mediaType: docker ? MediaType.dockerManifest : MediaType.ociManifest,
    config: configDescriptor,
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.stored.length })),
  };
  const manifest = Buffer.from(JSON.stringify(manifestObject));
  return { name, config, configDigest: configDescriptor.digest, layers, manifest, manifestDigest: digestOf(manifest) };
}

/** A legacy `docker save` tar (Docker ≤ 24): <id>/layer.tar, <config>.json, manifest.json, repositories. */
export async function legacyDockerArchive(images: FixtureImage[], options: { symlinkDuplicates?: boolean } = {}): Promise<Buffer> {
  const entries: FixtureEntry[] = [];
  const manifest: unknown[] = [];
  const savedAt = new Map<string, string>();
  for (const image of images) {
    const layerPaths: string[] = [];
    image.layers.forEach((layer, i) => {
      const id = sha256Hex(`${image.configDigest}/${i}`);
      const path = `${id}/layer.tar`;
      layerPaths.push(path);
      entries.push({ path: id, type: 'directory' }, { path: `${id}/VERSION`, data: '1.0' }, { path: `${id}/json`, data: `{"id":"${id}"}` });
      const first = savedAt.get(layer.diffID);
      if (first && options.symlinkDuplicates !== false) entries.push({ path, type: 'symlink', linkname: `../${first}` });
      else {
        entries.push({ path, data: layer.stored });
        savedAt.set(layer.diffID, path);
      }
    });
    const configPath = `${image.configDigest.slice(7)}.json`;
    entries.push({ path: configPath, data: image.config });
    manifest.push({ Config: configPath, RepoTags: image.name ? [image.name] : null, Layers: layerPaths });
  }
  entries.push({ path: 'manifest.json', data: JSON.stringify(manifest) });
  entries.push({ path: 'repositories', data: '{}' });
  return buildTar(entries);
}

/** Writes `image` as a legacy docker-archive file `name` in `dir`. */
export async function writeLegacyArchive(dir: string, name: string, image: FixtureImage): Promise<{ path: string; bytes: Buffer }> {
  const path = join(dir, name);
  const bytes = await legacyDockerArchive([image]);
  writeFileSync(path, bytes);
  return { path, bytes };
}

/** An OCI image layout as a tar, with `index.json` naming each image by ref name. */
export async function ociArchive(images: FixtureImage[], options: { extraIndex?: object } = {}): Promise<Buffer> {
  const entries: FixtureEntry[] = [{ path: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' }];
  const seen = new Set<string>();
  const blob = (digest: string, data: Buffer) => {
    if (seen.has(digest)) return;
    seen.add(digest);
    entries.push({ path: `blobs/sha256/${digest.slice(7)}`, data });
  };
  for (const image of images) {
    blob(image.configDigest, image.config);
    for (const layer of image.layers) blob(layer.digest, layer.stored);
    blob(image.manifestDigest, image.manifest);
  }
  const index = options.extraIndex ?? {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: images.map((image) => ({
      mediaType: JSON.parse(image.manifest.toString()).mediaType,
      digest: image.manifestDigest,
      size: image.manifest.length,
      annotations: { 'org.opencontainers.image.ref.name': image.name.split(':').pop() },
    })),
  };
  entries.push({ path: 'index.json', data: JSON.stringify(index) });
  return buildTar(entries);
}

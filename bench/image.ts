import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { encodeHeader } from '../src-main/core/archive/tar-header';
import { sha256 } from '../src-main/core/image/digest';
import { MediaType } from '../src-main/core/image/media-types';
import type { Descriptor, ImageConfig, ImageManifest } from '../src-main/core/image/types';
import { parseReference } from '../src-main/core/ref/reference';
import { RegistryClient } from '../src-main/core/registry/client';
import { putManifest } from '../src-main/core/registry/manifests';
import { uploadBlob } from '../src-main/core/registry/upload';

/** A ustar header for one regular file of `size` bytes. */
function tarHeader(name: string, size: number): Buffer {
  return encodeHeader({ path: name, type: 'file', size, mode: 0o644, mtime: 0, uid: 0, gid: 0, linkname: '' });
}

/** A tar holding one file of random (incompressible) bytes, streamed. */
async function* randomTar(name: string, size: number): AsyncGenerator<Buffer> {
  yield tarHeader(name, size);
  const chunk = 1 << 20;
  for (let left = size; left > 0; left -= chunk) yield randomFillSync(Buffer.allocUnsafe(Math.min(chunk, left)));
  yield Buffer.alloc((512 - (size % 512)) % 512 + 1024);
}

/** Writes a gzip layer file, returning its descriptor and diffID (hashes taken on the way). */
async function makeLayer(dir: string, index: number, size: number): Promise<{ descriptor: Descriptor; diffID: string; path: string }> {
  const path = join(dir, `layer-${index}.tar.gz`);
  const plain = createHash('sha256');
  const stored = createHash('sha256');
  let storedSize = 0;
  const tap = (hash: ReturnType<typeof createHash>, count?: (n: number) => void) =>
    async function* (source: AsyncIterable<Buffer>) {
      for await (const b of source) {
        hash.update(b);
        count?.(b.length);
        yield b;
      }
    };
  await pipeline(Readable.from(randomTar(`data-${index}.bin`, size)), tap(plain), createGzip({ level: 1 }), tap(stored, (n) => (storedSize += n)), createWriteStream(path));
  return { descriptor: { mediaType: MediaType.ociLayerGzip, digest: `sha256:${stored.digest('hex')}`, size: storedSize }, diffID: `sha256:${plain.digest('hex')}`, path };
}

/** Builds `layers` random layers of `layerSize` bytes and pushes them as `ref` with Lighter's client. */
export async function pushBenchImage(ref: string, dir: string, layers: number, layerSize: number): Promise<{ digest: string; bytes: number }> {
  const client = new RegistryClient();
  const repo = parseReference(ref);
  try {
    const made = [];
    for (let i = 0; i < layers; i++) made.push(await makeLayer(dir, i, layerSize));
    const config: ImageConfig = {
      architecture: 'amd64',
      os: 'linux',
      created: new Date(0).toISOString(),
      config: { Cmd: ['/data-0.bin'] },
      rootfs: { type: 'layers', diff_ids: made.map((l) => l.diffID) },
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDescriptor = { mediaType: MediaType.ociConfig, digest: sha256(configBytes), size: configBytes.length };
    for (const layer of made) await uploadBlob(client, repo, layer.descriptor, () => createReadStream(layer.path, { highWaterMark: 1 << 20 }));
    await uploadBlob(client, repo, configDescriptor, () => configBytes);
    const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDescriptor, layers: made.map((l) => l.descriptor) };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const digest = await putManifest(client, repo, repo.tag ?? 'latest', bytes, MediaType.ociManifest);
    return { digest, bytes: made.reduce((s, l) => s + l.descriptor.size, 0) };
  } finally {
    await client.close();
  }
}

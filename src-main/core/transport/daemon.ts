import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LighterError, throwIfAborted } from '../errors';
import type { Descriptor } from '../image/types';
import { DockerArchiveWriter } from '../archive/write-docker-archive';
import type { EngineAccess } from '../engine/connect';
import { engineError } from '../engine/engine-errors';
import { familiarString, normalizeForPull, parseReference } from '../ref/reference';
import { ArchiveSource } from './archive-source';
import { ArchiveDestination } from './archive-destination';
import { loadIntoEngine } from './engine-load';
import { loadLayerByLayer, loadsLayerByLayer } from './layered-load';
import { inspectImage, openSaveStream } from './engine-save-stream';
import { StreamSink } from './stream-sink';
import type { ArchiveStream, ArchiveStreamRequest, BlobRequest, ImageSource, ManifestBlob, StreamedImage } from './types';

/** The name the engine should see: tags made explicit (`docker save busybox` would save every tag). */
export function engineImageName(name: string): string {
  if (/^(sha256:)?[a-f0-9]{12,64}$/.test(name)) return name;
  return familiarString(normalizeForPull(parseReference(name)));
}

/**
 * Reads an image from an engine through its save endpoint. A save stream lists its manifest last, so
 * for a blob-by-blob copy it is first written to a temporary file in the OS temp folder (removed on
 * close), then indexed and verified like any docker-archive. Destinations that take a whole archive
 * get the stream itself (archiveStream).
 */
export class DaemonSource implements ImageSource {
  readonly name: string;
  /** Its blobs come from an ArchiveSource, which checks them. */
  readonly verifiesBlobs = true;
  private archive?: Promise<{ source: ArchiveSource; dir: string }>;
  private dir?: string;

  constructor(
    private readonly engine: () => Promise<EngineAccess>,
    private readonly image: string,
    private readonly onSaveBytes?: (bytes: number) => void,
  ) {
    this.name = `docker-daemon:${image}`;
  }

  private saved(signal?: AbortSignal): Promise<ArchiveSource> {
    this.archive ??= this.save(signal);
    return this.archive.then((a) => a.source);
  }

  /** The engine's save stream; destroying it (as an abort does) cancels the save. */
  private async saveStream(signal?: AbortSignal): Promise<{ stream: Readable; size?: number }> {
    throwIfAborted(signal);
    const name = engineImageName(this.image);
    const engine = await this.engine();
    let size: number | undefined;
    let stream: Readable;
    try {
      size = (await inspectImage(engine, name)).Size;
      stream = await openSaveStream(engine, name);
    } catch (e) {
      throw engineError(e, name);
    }
    if (signal) {
      const stop = () => stream.destroy();
      signal.addEventListener('abort', stop, { once: true });
      stream.once('close', () => signal.removeEventListener('abort', stop));
      if (signal.aborted) stop();
    }
    return { stream, size };
  }

  private async save(signal?: AbortSignal): Promise<{ source: ArchiveSource; dir: string }> {
    this.dir = await mkdtemp(join(tmpdir(), 'lighter-save-'));
    const file = join(this.dir, 'image.tar');
    const { stream } = await this.saveStream(signal);
    try {
      if (this.onSaveBytes) stream.on('data', (chunk: Buffer) => this.onSaveBytes!(chunk.length));
      await pipeline(stream, createWriteStream(file, { highWaterMark: 1 << 20 }));
    } catch (e) {
      throwIfAborted(signal);
      throw engineError(e, engineImageName(this.image));
    }
    return { source: new ArchiveSource(this.name, file), dir: this.dir };
  }

  /** The save stream as it comes: a docker-archive the destination checks while it writes it (not verified by this source). */
  async archiveStream(request: ArchiveStreamRequest = {}): Promise<ArchiveStream | undefined> {
    if (request.verified) return undefined;
    const { stream, size } = await this.saveStream(request.signal);
    return { stream, sizeHint: size };
  }

  async topManifest(signal?: AbortSignal): Promise<ManifestBlob> {
    return (await this.saved(signal)).topManifest(signal);
  }

  async manifest(d: Descriptor, signal?: AbortSignal): Promise<ManifestBlob> {
    return (await this.saved(signal)).manifest(d, signal);
  }

  async blob(d: Descriptor, request: BlobRequest): Promise<Readable> {
    return (await this.saved(request.signal)).blob(d, request);
  }

  async close(): Promise<void> {
    await this.archive?.catch(() => undefined);
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Loads an image into an engine through `POST /images/load` (nothing staged on disk here): either a
 * docker-archive tar written blob by blob as the copy verifies them, or — from a source that
 * verifies a whole archive as it passes and records this name — that archive as it is, its last
 * bytes sent only once every digest held (a failed check cuts the upload short: nothing loads), or,
 * to a Docker engine and with several layers, its layers one request each (layered-load.ts).
 */
export class DaemonDestination extends ArchiveDestination {
  /** The engine cannot be trusted to check and discard: only verified streams, already named as asked. */
  readonly archiveStreamNeeds: { verified: true; names: string[] };
  private readonly tag: string;
  /** Whether the engine takes an archive layer by layer, once asked. */
  private layered?: Promise<boolean>;

  constructor(
    private readonly engine: () => Promise<EngineAccess>,
    image: string,
    signal?: AbortSignal,
  ) {
    const tag = engineImageName(image);
    if (/^(sha256:)?[a-f0-9]{12,64}$/.test(tag) || tag.includes('@')) {
      throw new LighterError('REF_INVALID', `docker-daemon:${image}: an engine destination needs a name with a tag`);
    }
    super(
      `docker-daemon:${image}`,
      async () => {
        const body = new PassThrough({ highWaterMark: 4 << 20 });
        const loaded = loadIntoEngine(await engine(), body, { signal });
        loaded.catch(() => undefined);
        return DockerArchiveWriter.onSink(new StreamSink(body, () => loaded, signal), { signal });
      },
      // The engine loads what it is given: every diffID is checked before the archive's end goes out.
      { acceptsIndex: false, verifiesDiffIDs: true, addRoot: (writer, top) => (writer as DockerArchiveWriter).addImage([tag], top) },
    );
    this.archiveStreamNeeds = { verified: true, names: [tag] };
    this.tag = tag;
    // Finding and probing the engine overlaps with reading the source (failures surface on use).
    engine().catch(() => undefined);
  }

  async putArchiveStream(archive: ArchiveStream, options: { signal?: AbortSignal; onBytes?: (bytes: number) => void }): Promise<StreamedImage> {
    if (!archive.verified || !archive.image) {
      archive.stream.destroy();
      throw new LighterError('INTERNAL', 'An engine takes only archives verified on the way');
    }
    const { image, layers } = archive;
    image.catch(() => undefined); // the stream fails with the same error, which the load reports
    const engine = await this.engine();
    const load = { size: archive.size, handOver: archive.handsOver, ...options };
    // Several layers: each applied while the next goes over (layered-load.ts), where the engine can.
    if (layers && layers.layers.length > 1 && (await (this.layered ??= loadsLayerByLayer(engine)))) await loadLayerByLayer(engine, archive.stream, layers, [this.tag], load);
    else await loadIntoEngine(engine, archive.stream, load);
    return await image;
  }
}

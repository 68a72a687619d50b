import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { LighterError, throwIfAborted } from '../errors';
import type { Descriptor } from '../image/types';
import { DockerArchiveWriter } from '../archive/write-docker-archive';
import { engineError } from '../engine/engine-errors';
import { familiarString, normalizeForPull, parseReference } from '../ref/reference';
import { ArchiveSource } from './archive-source';
import { ArchiveDestination } from './archive-destination';
import { openSaveStream } from './engine-save-stream';
import { StreamSink } from './stream-sink';
import type { ArchiveStream, BlobRequest, ImageSource, ManifestBlob } from './types';

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
    private readonly docker: () => Promise<Docker>,
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
    const docker = await this.docker();
    let size: number | undefined;
    let stream: Readable;
    try {
      size = (await docker.getImage(name).inspect()).Size;
      stream = await openSaveStream(docker, name);
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

  /** The save stream as it comes: a docker-archive the destination checks while it writes it. */
  async archiveStream(signal?: AbortSignal): Promise<ArchiveStream> {
    const { stream, size } = await this.saveStream(signal);
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
 * Loads an image into an engine: a docker-archive tar is streamed straight into `POST /images/load`
 * (nothing staged on disk here). The engine answers with a JSON stream whose lines may carry errors.
 */
export function daemonDestination(docker: () => Promise<Docker>, image: string, signal?: AbortSignal): ArchiveDestination {
  const tag = engineImageName(image);
  if (/^(sha256:)?[a-f0-9]{12,64}$/.test(tag) || tag.includes('@')) {
    throw new LighterError('REF_INVALID', `docker-daemon:${image}: an engine destination needs a name with a tag`);
  }
  return new ArchiveDestination(
    `docker-daemon:${image}`,
    async () => {
      const engine = await docker();
      const body = new PassThrough({ highWaterMark: 4 << 20 });
      // A tar cut short must not be loaded: abandoning the body aborts the request itself.
      const controller = new AbortController();
      body.once('close', () => body.writableFinished || controller.abort());
      const response = engine.loadImage(body, { quiet: true, abortSignal: controller.signal } as object) as Promise<NodeJS.ReadableStream>;
      response.catch(() => undefined);
      const sink = new StreamSink(body, () => readLoadResponse(response), signal);
      return DockerArchiveWriter.onSink(sink, { signal });
    },
    { acceptsIndex: false, addRoot: (writer, top) => (writer as DockerArchiveWriter).addImage([tag], top) },
  );
}

/** Reads the whole load response; any `{error}` line (they come with status 200) fails the load. */
async function readLoadResponse(response: Promise<NodeJS.ReadableStream>): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await response;
  } catch (e) {
    throw engineError(e);
  }
  let text = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) text += chunk.toString('utf8');
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    let event: { error?: string; errorDetail?: { message?: string } };
    try {
      event = JSON.parse(line);
    } catch {
      throw new LighterError('ENGINE_ERROR', `The engine answered the image load with something unexpected: ${line.slice(0, 200)}`);
    }
    if (event.error || event.errorDetail) throw new LighterError('ENGINE_ERROR', `The engine refused the image: ${event.errorDetail?.message ?? event.error}`);
  }
}

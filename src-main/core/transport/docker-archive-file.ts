import { LighterError, cancelled, isAbortError } from '../errors';
import { copyArchiveStream } from '../archive/copy-archive-stream';
import { parseTaggedName } from '../archive/image-names';
import { PartialFile } from '../archive/partial-file';
import { DockerArchiveWriter } from '../archive/write-docker-archive';
import { ArchiveDestination } from './archive-destination';
import type { ArchiveStream, StreamedImage } from './types';

/**
 * A docker-archive file. Blob by blob like any archive destination, or — from a source that hands
 * out a whole archive (an engine's save) — in one pass: the stream is re-written as it arrives into
 * a partial file, every digest checked, and only then renamed into place.
 */
export class DockerArchiveFileDestination extends ArchiveDestination {
  constructor(
    name: string,
    private readonly path: string,
    private readonly names: string[],
    signal?: AbortSignal,
  ) {
    super(name, () => DockerArchiveWriter.create(path, { signal }), {
      acceptsIndex: false,
      addRoot: (writer, top) => (writer as DockerArchiveWriter).addImage(names, top),
    });
  }

  async putArchiveStream(archive: ArchiveStream, options: { signal?: AbortSignal; onBytes?: (bytes: number) => void }): Promise<StreamedImage> {
    const { signal } = options;
    this.names.forEach(parseTaggedName); // bad names fail before anything is written
    const file = await PartialFile.create(this.path);
    try {
      const contents = await copyArchiveStream(archive.stream, file, { names: this.names, signal, onBytes: options.onBytes });
      if (contents.images.length !== 1) throw new LighterError('UNSUPPORTED', `The stream holds ${contents.images.length} images; a copy takes one`);
      if (signal?.aborted) throw cancelled();
      await file.commit();
      let bytes = 0;
      for (const blob of contents.blobs.values()) bytes += blob.size;
      return { manifest: contents.images[0].manifestDescriptor, blobs: contents.blobs.size, bytes };
    } catch (e) {
      archive.stream.destroy();
      await file.abort();
      if (signal?.aborted || isAbortError(e)) throw cancelled();
      throw e;
    }
  }
}

import { LighterError, isAbortError, throwIfAborted } from '../errors';
import type { CopyOptions, CopyResult } from './copy';
import type { ArchiveStream, ImageDestination, ImageSource } from './types';

/**
 * True when the image can go over as one archive stream: the source hands out its whole image as a
 * tar (an engine's save), the destination takes one, and nothing is to be chosen or converted on
 * the way (an engine holds one platform per image).
 */
export function canCopyWhole(source: ImageSource, destination: ImageDestination, options: CopyOptions): boolean {
  const platforms = options.platforms ?? 'host';
  return source.archiveStream !== undefined && destination.putArchiveStream !== undefined && platforms === 'host';
}

/**
 * The one-pass copy: the destination re-writes the stream as it arrives and checks every digest in
 * it, or passes on a stream the source verifies as it goes and ends only once every check held. Undefined when the source cannot give
 * the stream the destination needs: the copy then goes blob by blob.
 */
export async function copyWhole(source: ImageSource, destination: ImageDestination, options: CopyOptions): Promise<CopyResult | undefined> {
  const { signal, job } = options;
  let archive: ArchiveStream | undefined;
  try {
    throwIfAborted(signal);
    job?.progress({ message: `Reading ${source.name}` });
    const needs = destination.archiveStreamNeeds;
    archive = await source.archiveStream!({ ...needs, signal });
    if (!archive) return undefined;
    if (needs?.verified && !archive.verified) {
      archive.stream.destroy();
      return undefined;
    }
    let done = 0;
    job?.progress({ current: 0, total: archive.sizeHint, unit: 'bytes', message: `Copying to ${destination.name}` });
    const image = await destination.putArchiveStream!(archive, { signal, onBytes: (n) => job?.progress({ current: (done += n) }) });
    return {
      digest: image.manifest.digest,
      mediaType: image.manifest.mediaType,
      platforms: [],
      blobsCopied: image.blobs,
      blobsSkipped: 0,
      bytesCopied: image.bytes,
      streamed: true,
    };
  } catch (e) {
    archive?.stream.destroy();
    if (signal?.aborted || isAbortError(e)) throw new LighterError('CANCELLED', 'Cancelled');
    throw e;
  }
}

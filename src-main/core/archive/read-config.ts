import { LighterError } from '../errors';
import { isDigest, type Digest } from '../image/digest';
import { MediaType } from '../image/media-types';
import type { Descriptor, ImageConfig } from '../image/types';
import { capitalize, type ArchiveMembers } from './archive-members';
import type { ArchiveBlob } from './archive-model';
import type { ScannedEntry } from './scan-archive';

function invalid(message: string): LighterError {
  return new LighterError('ARCHIVE_INVALID', message);
}

/** Parses an image config far enough to trust its diff_ids. */
export async function loadConfig(members: ArchiveMembers, entry: ScannedEntry, what: string): Promise<{ config: ImageConfig; diffIDs: Digest[] }> {
  const { value } = await members.json(entry, what);
  const config = value as Partial<ImageConfig> | null;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw invalid(`${capitalize(what)} is not a JSON object`);
  const diffIDs = config.rootfs?.diff_ids;
  if (!Array.isArray(diffIDs) || !diffIDs.every((d) => typeof d === 'string' && isDigest(d))) {
    throw invalid(`${capitalize(what)} has no valid rootfs.diff_ids`);
  }
  return { config: config as ImageConfig, diffIDs: diffIDs as Digest[] };
}

export function isImageConfigType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.ociConfig || mediaType === MediaType.dockerConfig;
}

export function blobOf(entry: ScannedEntry): ArchiveBlob {
  return { digest: entry.digest!, size: entry.size, path: entry.path, dataOffset: entry.dataOffset };
}

export function descriptorOf(mediaType: string, entry: ScannedEntry): Descriptor {
  return { mediaType, digest: entry.digest!, size: entry.size };
}

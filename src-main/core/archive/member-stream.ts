import { createReadStream } from 'node:fs';
import { PassThrough, Readable, pipeline } from 'node:stream';
import { LighterError } from '../errors';
import { normalizeMemberPath } from './archive-path';
import { openArchiveStream, type Compression } from './compression';
import { jsonTooLarge, type ArchiveLimits } from './limits';
import { readTar } from './tar-reader';

export interface MemberLocation {
  path: string;
  dataOffset: number;
  size: number;
}

/**
 * The bytes of one archive member. An uncompressed archive is read at the recorded offset; a
 * compressed one is decompressed again from the start up to the member (there is no seeking in it).
 */
export async function openMemberStream(
  archivePath: string,
  compression: Compression,
  member: MemberLocation,
  options: { signal?: AbortSignal; limits?: Partial<ArchiveLimits> } = {},
): Promise<Readable> {
  if (compression === 'none') {
    if (member.size === 0) return Readable.from([]);
    return createReadStream(archivePath, { start: member.dataOffset, end: member.dataOffset + member.size - 1, signal: options.signal });
  }
  const opened = await openArchiveStream(archivePath, options);
  const out = new PassThrough();
  void (async () => {
    try {
      for await (const entry of readTar(opened.stream, { ...options.limits, signal: options.signal })) {
        if (entry.dataOffset !== member.dataOffset || normalizeMemberPath(entry.path) !== member.path) continue;
        await new Promise<void>((resolve, reject) => pipeline(entry.body, out, (e) => (e ? reject(e) : resolve())));
        return;
      }
      throw new LighterError('ARCHIVE_INVALID', `Archive member ${member.path} is no longer in ${archivePath}`);
    } catch (e) {
      out.destroy(e as Error);
    } finally {
      opened.stream.destroy();
    }
  })();
  return out;
}

/** A whole member in memory, for JSON documents; refuses members over `maxBytes`. */
export async function readMember(
  archivePath: string,
  compression: Compression,
  member: MemberLocation,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  if (member.size > maxBytes) throw new LighterError('ARCHIVE_INVALID', jsonTooLarge(member.path, member.size, maxBytes));
  const parts: Buffer[] = [];
  for await (const chunk of await openMemberStream(archivePath, compression, member, { signal })) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

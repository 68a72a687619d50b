import { LighterError } from '../errors';
import { BLOCK, encodeHeader, padding, type TarEntryType } from './tar-header';

export interface TarEntryToWrite {
  path: string;
  type?: Extract<TarEntryType, 'file' | 'directory' | 'symlink' | 'hardlink'>;
  /** Required for files: the body must deliver exactly this many bytes. */
  size?: number;
  /** Defaults: 0644 for files, 0755 for directories, 0777 for symlinks. */
  mode?: number;
  /** Seconds since the epoch; 0 unless given, so output is reproducible. */
  mtime?: number;
  linkname?: string;
}

const defaultModes = { file: 0o644, directory: 0o755, symlink: 0o777, hardlink: 0o644 } as const;

/** The header block(s) of one entry; `size` is required for files. */
export function tarHeader(entry: TarEntryToWrite): Buffer {
  const type = entry.type ?? 'file';
  const size = type === 'file' ? entry.size : 0;
  if (size === undefined || !Number.isSafeInteger(size) || size < 0) throw new LighterError('INVALID_INPUT', `Tar entry "${entry.path}" needs a size`);
  const path = type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  return encodeHeader({
    path,
    type,
    size,
    mode: entry.mode ?? defaultModes[type],
    mtime: entry.mtime ?? 0,
    uid: 0,
    gid: 0,
    linkname: entry.linkname ?? '',
  });
}

/**
 * One tar entry as a sequence of buffers: header blocks, the body, padding. Owner is always 0:0
 * with empty names. Fails (before the padding) when the body's length is not `size`.
 */
export async function* tarEntry(entry: TarEntryToWrite, body?: Buffer | AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Buffer> {
  const type = entry.type ?? 'file';
  const size = type === 'file' ? (entry.size ?? (Buffer.isBuffer(body) ? body.length : undefined)) : 0;
  if (type !== 'file' && body !== undefined) throw new LighterError('INVALID_INPUT', `Tar entry "${entry.path}" of type ${type} cannot have data`);
  yield tarHeader({ ...entry, size });
  if (size === undefined) return; // tarHeader refused it
  let written = 0;
  if (Buffer.isBuffer(body)) {
    written = body.length;
    if (written === size && size > 0) yield body;
  } else if (body) {
    for await (const piece of body) {
      const chunk = Buffer.isBuffer(piece) ? piece : Buffer.from(piece);
      written += chunk.length;
      if (written > size) break;
      if (chunk.length > 0) yield chunk;
    }
  }
  if (written !== size) {
    throw new LighterError('INVALID_INPUT', `Tar entry "${entry.path}": expected ${size} bytes of data, got ${written > size ? 'more' : written}`);
  }
  const pad = padding(size);
  if (pad.length > 0) yield pad;
}

/** The end-of-archive marker: two zero blocks. */
export function tarEnd(): Buffer {
  return Buffer.alloc(BLOCK * 2);
}

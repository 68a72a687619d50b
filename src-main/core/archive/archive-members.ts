import { LighterError } from '../errors';
import { isDigest, type Digest } from '../image/digest';
import type { Descriptor } from '../image/types';
import { jsonTooLarge, type ArchiveLimits } from './limits';
import { readMember } from './member-stream';
import type { ScannedEntry, ScanResult } from './scan-archive';
import { shorten } from './tar-reader';

function invalid(message: string): LighterError {
  return new LighterError('ARCHIVE_INVALID', message);
}

/** Looks members up in a scan: exact paths only, links never followed unless explicitly allowed. */
export class ArchiveMembers {
  constructor(
    readonly scan: ScanResult,
    private readonly limits: ArchiveLimits,
    private readonly signal?: AbortSignal,
  ) {}

  has(path: string): boolean {
    return this.scan.entries.has(path);
  }

  /**
   * A regular file member. `allowLink` admits one link hop resolved inside this index only: legacy
   * `docker save` writes `<id>/layer.tar` as a symlink to an identical layer saved earlier.
   */
  file(path: string, what: string, options: { allowLink?: boolean } = {}): ScannedEntry {
    const entry = this.scan.entries.get(path);
    if (!entry) throw invalid(`Archive is missing ${what} (${shorten(path)})`);
    if (entry.type === 'directory') throw invalid(`${capitalize(what)} (${shorten(path)}) is a directory`);
    if (entry.linkTarget === undefined) return entry;
    if (!options.allowLink) throw invalid(`${capitalize(what)} (${shorten(path)}) is a link; links are not followed`);
    const target = this.scan.entries.get(entry.linkTarget);
    if (!target || target.type !== 'file') {
      throw invalid(`${capitalize(what)} (${shorten(path)}) links to ${shorten(entry.linkTarget)}, which is not a file in the archive`);
    }
    return target;
  }

  /** A blob named by a descriptor: `blobs/sha256/<hex>`, the right size (its digest was checked by the scan). */
  blob(descriptor: Descriptor, what: string): ScannedEntry {
    const digest = checkDescriptor(descriptor, what);
    const entry = this.file(`blobs/sha256/${digest.slice(7)}`, `${what} ${digest}`);
    if (entry.size !== descriptor.size) {
      throw new LighterError('DIGEST_MISMATCH', `Size mismatch for ${what} ${digest}: expected ${descriptor.size} bytes, the archive has ${entry.size}`, {
        expected: digest,
        expectedSize: descriptor.size,
        actualSize: entry.size,
      });
    }
    return entry;
  }

  async bytes(entry: ScannedEntry, what: string): Promise<Buffer> {
    if (entry.size > this.limits.maxJsonSize) throw invalid(jsonTooLarge(`${capitalize(what)} (${shorten(entry.path)})`, entry.size, this.limits.maxJsonSize));
    return entry.content ?? readMember(this.scan.path, this.scan.compression, entry, this.limits.maxJsonSize, this.signal);
  }

  async json(entry: ScannedEntry, what: string): Promise<{ bytes: Buffer; value: unknown }> {
    const bytes = await this.bytes(entry, what);
    try {
      return { bytes, value: JSON.parse(bytes.toString('utf8')) };
    } catch {
      throw invalid(`${capitalize(what)} (${shorten(entry.path)}) is not valid JSON`);
    }
  }
}

export function checkDescriptor(descriptor: unknown, what: string): Digest {
  const d = descriptor as Partial<Descriptor> | null;
  if (typeof d !== 'object' || d === null || typeof d.digest !== 'string' || !Number.isSafeInteger(d.size) || (d.size as number) < 0) {
    throw invalid(`${capitalize(what)} has an invalid descriptor`);
  }
  if (!isDigest(d.digest)) {
    if (/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(d.digest) && !d.digest.startsWith('sha256:')) {
      throw new LighterError('UNSUPPORTED', `${capitalize(what)} uses digest ${shorten(d.digest, 80)}; only sha256 is supported`);
    }
    throw invalid(`${capitalize(what)} has an invalid digest "${shorten(d.digest, 80)}"`);
  }
  if (d.mediaType !== undefined && typeof d.mediaType !== 'string') throw invalid(`${capitalize(what)} has an invalid media type`);
  return d.digest;
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}


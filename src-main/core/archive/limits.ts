/**
 * Bounds applied to untrusted archives. Every limit fails with ARCHIVE_INVALID and says which bound
 * was hit, so a user can tell a hostile file from a merely unusual one.
 */
export interface ArchiveLimits {
  /** Entries (files, dirs, links) in one tar, metadata headers not counted. */
  maxEntries: number;
  /** Bytes of one entry path after long-name extensions are applied. */
  maxPathLength: number;
  /** Path components of one entry path. */
  maxPathDepth: number;
  /** Bytes of one entry's data; sizes beyond this are treated as forged. */
  maxEntrySize: number;
  /** Bytes of one pax or GNU long-name record. */
  maxMetaSize: number;
  /** Bytes of one JSON document (manifest.json, index.json, manifests, configs). */
  maxJsonSize: number;
  /** Decompressed bytes of one stream (the whole archive, or one layer). */
  maxDecompressedBytes: number;
  /** Decompressed-to-compressed ratio, checked once `ratioGraceBytes` have come out. */
  maxCompressionRatio: number;
  ratioGraceBytes: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const defaultLimits: ArchiveLimits = {
  maxEntries: 100_000,
  maxPathLength: 4096,
  maxPathDepth: 128,
  maxEntrySize: 1024 * GiB,
  maxMetaSize: 1 * MiB,
  // containerd caps OCI import JSON at 20 MiB after CVE-2023-25153; same bound here.
  maxJsonSize: 20 * MiB,
  maxDecompressedBytes: 1024 * GiB,
  // gzip tops out near 1032:1 on all-zero input; zstd/xz/bzip2 go far beyond, which bombs exploit.
  maxCompressionRatio: 2000,
  ratioGraceBytes: 256 * MiB,
};

export function resolveLimits(overrides?: Partial<ArchiveLimits>): ArchiveLimits {
  return { ...defaultLimits, ...overrides };
}

export function jsonTooLarge(what: string, size: number, limit: number): string {
  return `${what} is ${formatBytes(size)}; JSON files over ${formatBytes(limit)} are refused`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < MiB) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < GiB) return `${(n / MiB).toFixed(1)} MiB`;
  return `${(n / GiB).toFixed(1)} GiB`;
}

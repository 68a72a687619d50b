/** Small display formatters shared by the views. Pure functions: unit-tested, no DOM. */

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** Bytes in decimal units like the docker CLI prints them: 0 B, 812 B, 4.3 MB, 1.2 GB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const digits = value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** Bytes per second, e.g. "3.4 MB/s". */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) return '—';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** A span of time in the largest two units: "8 s", "3 min 5 s", "1 h 2 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'always' });
const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Infinity],
];

/** "just now", "5 minutes ago", "3 days ago", "2 years ago" (or "in 3 days" for the future). */
export function formatRelativeTime(whenMs: number, nowMs: number = Date.now()): string {
  if (!Number.isFinite(whenMs) || whenMs <= 0) return '—';
  let value = (whenMs - nowMs) / 1000;
  if (Math.abs(value) < 45) return 'just now';
  for (const [unit, size] of STEPS) {
    if (Math.abs(value) < size || unit === 'year') {
      // Days → months uses 30-day months; good enough for "how old is this image".
      return relative.format(Math.round(value), unit);
    }
    value /= size;
  }
  return '—';
}

/** A full local date and time, for hovering over a relative one. */
export function formatAbsoluteTime(whenMs: number): string {
  if (!Number.isFinite(whenMs) || whenMs <= 0) return 'unknown';
  return new Date(whenMs).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'medium' });
}

/** Engine timestamps: Unix seconds in lists, RFC 3339 strings in inspect. */
export function toMillis(value: number | string): number {
  if (typeof value === 'number') return value * 1000;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? 0 : ms;
}

/** 12 hex digits of an ID or digest, without the algorithm prefix. */
export function shortHash(value: string, length = 12): string {
  const hex = value.includes(':') ? value.slice(value.indexOf(':') + 1) : value;
  return hex.slice(0, length);
}

/** The digest of `repo@sha256:…` shortened for a table cell: "sha256:abcd1234ef56". */
export function shortDigest(repoDigest: string): string {
  const at = repoDigest.lastIndexOf('@');
  const digest = at >= 0 ? repoDigest.slice(at + 1) : repoDigest;
  const colon = digest.indexOf(':');
  return colon >= 0 ? `${digest.slice(0, colon)}:${shortHash(digest)}` : shortHash(digest);
}

/** Splits `registry:5000/ns/name:tag` into repository and tag (the colon after the last slash). */
export function splitRepoTag(reference: string): { repository: string; tag: string } {
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  if (colon > slash) return { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { repository: reference, tag: '' };
}

/** "1 image", "3 images". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en')} ${count === 1 ? one : many}`;
}

/** Sizes and ages printed the way the docker CLI prints them, so both can be compared at a glance. */

const sizeUnits = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/**
 * Decimal units with `precision` significant digits: 2047798 → "2.05MB", 0 → "0B". The docker CLI
 * uses 3 in image lists and 4 in `system df`.
 */
export function humanSize(bytes: number, precision = 3): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < sizeUnits.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toPrecision(precision))}${sizeUnits[unit]}`;
}

/** How long ago, e.g. "About an hour", "3 days", "2 weeks". */
export function humanDuration(seconds: number): string {
  if (seconds < 1) return 'Less than a second';
  if (seconds < 2) return '1 second';
  if (seconds < 60) return `${Math.floor(seconds)} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(seconds / 3600);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(seconds / 3600 / 24 / 365)} years`;
}

/** "2 days ago" for a unix-seconds timestamp. */
export function humanAgo(unixSeconds: number, now = Date.now() / 1000): string {
  return `${humanDuration(Math.max(0, now - unixSeconds))} ago`;
}

/** The 12 hex characters docker shows for an ID. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

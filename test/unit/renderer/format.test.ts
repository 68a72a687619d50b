import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  formatRate,
  formatRelativeTime,
  plural,
  shortDigest,
  shortHash,
  splitRepoTag,
  toMillis,
} from '../../../src-renderer/format';

describe('formatBytes', () => {
  it('uses decimal units like the docker CLI', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1.0 kB');
    expect(formatBytes(4_321_000)).toBe('4.3 MB');
    expect(formatBytes(123_456_789)).toBe('123 MB');
    expect(formatBytes(1_200_000_000)).toBe('1.2 GB');
    expect(formatBytes(5e15)).toBe('5.0 PB');
  });
  it('shows unknown sizes as a dash', () => {
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
  it('formats rates', () => {
    expect(formatRate(3_400_000)).toBe('3.4 MB/s');
  });
});

describe('formatDuration', () => {
  it('uses the two largest units', () => {
    expect(formatDuration(8.4)).toBe('8 s');
    expect(formatDuration(185)).toBe('3 min 5 s');
    expect(formatDuration(180)).toBe('3 min');
    expect(formatDuration(3720)).toBe('1 h 2 min');
    expect(formatDuration(90_000)).toBe('1 d 1 h');
    expect(formatDuration(-1)).toBe('—');
  });
});

describe('formatRelativeTime', () => {
  const now = Date.UTC(2026, 5, 15, 12, 0, 0);
  it('says how long ago', () => {
    expect(formatRelativeTime(now - 10_000, now)).toBe('just now');
    expect(formatRelativeTime(now - 5 * 60_000, now)).toBe('5 minutes ago');
    expect(formatRelativeTime(now - 3 * 3600_000, now)).toBe('3 hours ago');
    expect(formatRelativeTime(now - 3 * 86400_000, now)).toBe('3 days ago');
    expect(formatRelativeTime(now - 90 * 86400_000, now)).toBe('3 months ago');
    expect(formatRelativeTime(now - 2 * 365 * 86400_000, now)).toBe('2 years ago');
    expect(formatRelativeTime(now + 2 * 86400_000, now)).toBe('in 2 days');
  });
  it('shows a dash for missing times', () => {
    expect(formatRelativeTime(0, now)).toBe('—');
  });
});

describe('IDs, digests and references', () => {
  it('shortens hashes', () => {
    expect(shortHash('sha256:0123456789abcdef0123')).toBe('0123456789ab');
    expect(shortDigest('busybox@sha256:0123456789abcdef0123')).toBe('sha256:0123456789ab');
  });
  it('splits repository and tag at the colon after the last slash', () => {
    expect(splitRepoTag('busybox:1.36')).toEqual({ repository: 'busybox', tag: '1.36' });
    expect(splitRepoTag('localhost:5000/team/app:v2')).toEqual({ repository: 'localhost:5000/team/app', tag: 'v2' });
    expect(splitRepoTag('localhost:5000/team/app')).toEqual({ repository: 'localhost:5000/team/app', tag: '' });
  });
  it('reads both engine time formats', () => {
    expect(toMillis(1_700_000_000)).toBe(1_700_000_000_000);
    expect(toMillis('2023-11-14T22:13:20Z')).toBe(1_700_000_000_000);
    expect(toMillis('garbage')).toBe(0);
  });
  it('pluralizes', () => {
    expect(plural(1, 'image')).toBe('1 image');
    expect(plural(1200, 'image')).toBe('1,200 images');
  });
});

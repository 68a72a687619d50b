import { describe, expect, it } from 'vitest';
import { defaultRetryPolicy, isRetryableStatus, parseRetryAfter, retryDelayMs, sleep } from '../../../src-main/core/registry/retry';
import { parseRateLimit } from '../../../src-main/core/registry/response-errors';
import { nextLink } from '../../../src-main/core/registry/tags';

describe('retry policy', () => {
  it('retries only statuses that may succeed later', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 501, 505].some(isRetryableStatus)).toBe(false);
  });

  it('parses Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('caps Retry-After and grows backoff within bounds', () => {
    const policy = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };
    expect(retryDelayMs(1, policy, 3_600_000)).toBe(5000);
    expect(retryDelayMs(1, policy, 200)).toBe(200);
    for (let i = 0; i < 20; i++) {
      expect(retryDelayMs(1, policy)).toBeGreaterThanOrEqual(75);
      expect(retryDelayMs(1, policy)).toBeLessThanOrEqual(125);
      expect(retryDelayMs(10, policy)).toBeLessThanOrEqual(1250);
    }
  });

  it('sleep ends with CANCELLED when aborted', async () => {
    const c = new AbortController();
    setTimeout(() => c.abort(), 10);
    await expect(sleep(10_000, c.signal)).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('headers', () => {
  it('parses Docker Hub rate-limit headers', () => {
    expect(parseRateLimit('100;w=21600', '76;w=21600')).toEqual({ limit: 100, remaining: 76, windowSeconds: 21600 });
    expect(parseRateLimit(undefined, undefined)).toBeUndefined();
  });

  it('finds the next page in a Link header', () => {
    expect(nextLink('</v2/app/tags/list?last=b&n=2>; rel="next"')).toBe('/v2/app/tags/list?last=b&n=2');
    expect(nextLink('<https://x/prev>; rel="prev", <https://x/next>; rel=next')).toBe('https://x/next');
    expect(nextLink(undefined)).toBeUndefined();
  });
});

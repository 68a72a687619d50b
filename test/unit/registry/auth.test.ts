import { describe, expect, it } from 'vitest';
import { TokenCache, parseChallenges } from '../../../src-main/core/registry/auth';

describe('parseChallenges', () => {
  it('reads a Bearer challenge with quoted parameters', () => {
    expect(parseChallenges(['Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'])).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } },
    ]);
  });

  it('reads Basic, unquoted values, escapes and several challenges in one header', () => {
    expect(parseChallenges(['Basic realm="a \\"quoted\\" realm", Bearer realm=https://t/x, error=insufficient_scope'])).toEqual([
      { scheme: 'basic', params: { realm: 'a "quoted" realm' } },
      { scheme: 'bearer', params: { realm: 'https://t/x', error: 'insufficient_scope' } },
    ]);
  });

  it('reads one challenge per header and tolerates junk', () => {
    expect(parseChallenges(['basic realm="r"', 'BEARER realm="x"']).map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(parseChallenges(['', '=,,'])).toEqual([]);
  });
});

describe('TokenCache', () => {
  it('keeps tokens per scope set until shortly before expiry', () => {
    let now = 0;
    const cache = new TokenCache(() => now);
    const key = TokenCache.key('realm', 'svc', ['repository:b:pull', 'repository:a:pull']);
    expect(key).toBe(TokenCache.key('realm', 'svc', ['repository:a:pull', 'repository:b:pull']));
    cache.set(key, 'tok', 60);
    expect(cache.get(key)).toBe('tok');
    expect(cache.get(TokenCache.key('realm', 'svc', ['repository:a:pull']))).toBeUndefined();
    now = 53_000;
    expect(cache.get(key)).toBe('tok');
    now = 54_000; // 10% early renewal
    expect(cache.get(key)).toBeUndefined();
  });
});

import { LighterError } from '../errors';
import type { HttpTransport } from './http';
import { readLimited } from './http';

/** What a registry asked for in `WWW-Authenticate`. Scheme is lowercase. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** A user name and password, or an identity (refresh) token as docker stores after some logins. */
export type Credentials = { username: string; password: string } | { username?: string; identityToken: string };

/** Parses one or more `WWW-Authenticate` values (`Bearer realm="…",service="…"`, `Basic realm="…"`). */
export function parseChallenges(values: string[]): Challenge[] {
  const challenges: Challenge[] = [];
  for (const value of values) {
    let i = 0;
    let current: Challenge | undefined;
    const token = () => {
      const m = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/.exec(value.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return m[0];
    };
    const spaces = () => {
      while (i < value.length && (value[i] === ' ' || value[i] === '\t')) i++;
    };
    while (i < value.length) {
      spaces();
      if (value[i] === ',') {
        i++;
        continue;
      }
      const word = token();
      if (!word) break;
      spaces();
      if (value[i] !== '=') {
        current = { scheme: word.toLowerCase(), params: {} };
        challenges.push(current);
        continue;
      }
      i++;
      spaces();
      let v = '';
      if (value[i] === '"') {
        i++;
        while (i < value.length && value[i] !== '"') {
          if (value[i] === '\\' && i + 1 < value.length) i++;
          v += value[i++];
        }
        i++;
      } else {
        // Lenient: unquoted values are read up to the next comma (realms are often URLs).
        const m = /^[^,\s]*/.exec(value.slice(i))!;
        v = m[0];
        i += v.length;
      }
      if (current) current.params[word.toLowerCase()] = v;
    }
  }
  return challenges;
}

export function basicHeader(c: { username: string; password: string }): string {
  return 'Basic ' + Buffer.from(`${c.username}:${c.password}`).toString('base64');
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Bearer tokens by realm, service and scope, kept until shortly before they expire. */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();

  constructor(private readonly now: () => number = Date.now) {}

  static key(realm: string, service: string, scopes: string[]): string {
    return [realm, service, ...[...scopes].sort()].join('\n');
  }

  get(key: string): string | undefined {
    const t = this.tokens.get(key);
    if (!t) return undefined;
    if (t.expiresAt <= this.now()) {
      this.tokens.delete(key);
      return undefined;
    }
    return t.token;
  }

  set(key: string, token: string, expiresInSeconds: number): void {
    // Renew 10% (at most 30 s) early so a token does not expire in the middle of a request.
    const lifetime = expiresInSeconds * 1000;
    this.tokens.set(key, { token, expiresAt: this.now() + lifetime - Math.min(lifetime * 0.1, 30_000) });
  }

  delete(key: string): void {
    this.tokens.delete(key);
  }
}

export interface TokenResult {
  token: string;
  expiresIn: number;
}

/**
 * Asks a token server for a Bearer token (distribution token spec). With a password, it goes as Basic
 * auth on a GET; with an identity token, as an OAuth2 refresh-token POST.
 */
export async function fetchToken(
  http: HttpTransport,
  challenge: Challenge,
  scopes: string[],
  credentials: Credentials | undefined,
  options: { signal?: AbortSignal; ca?: string[] },
): Promise<TokenResult> {
  const realm = challenge.params.realm;
  if (!realm) throw new LighterError('REGISTRY_ERROR', 'Registry asked for a Bearer token without saying where to get it (no realm)');
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new LighterError('REGISTRY_ERROR', `Registry gave an invalid token realm "${realm.slice(0, 200)}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new LighterError('REGISTRY_ERROR', `Unsupported token realm protocol ${url.protocol}`);
  const service = challenge.params.service;

  let res;
  if (credentials && 'identityToken' in credentials) {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credentials.identityToken, client_id: 'lighter' });
    if (service) form.set('service', service);
    if (scopes.length) form.set('scope', scopes.join(' '));
    res = await http.send({
      method: 'POST',
      url: url.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(form.toString()),
      signal: options.signal,
      ca: options.ca,
    });
  } else {
    if (service) url.searchParams.set('service', service);
    for (const s of scopes) url.searchParams.append('scope', s);
    if (credentials) url.searchParams.set('account', credentials.username);
    res = await http.send({
      method: 'GET',
      url: url.toString(),
      headers: credentials ? { authorization: basicHeader(credentials) } : {},
      signal: options.signal,
      ca: options.ca,
    });
  }
  const body = await readLimited(res, 1 << 20, 'Token response');
  if (res.status === 401 || res.status === 403) {
    throw new LighterError(credentials ? 'AUTH_FAILED' : 'AUTH_REQUIRED', credentials ? `Token server ${url.host} rejected the credentials` : `Token server ${url.host} requires credentials`, {
      status: res.status,
    });
  }
  if (res.status !== 200) throw new LighterError('REGISTRY_ERROR', `Token server ${url.host} answered ${res.status}`, { status: res.status });
  let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new LighterError('REGISTRY_ERROR', `Token server ${url.host} sent an invalid response`);
  }
  const token = typeof parsed.token === 'string' && parsed.token ? parsed.token : parsed.access_token;
  if (typeof token !== 'string' || !token) throw new LighterError('REGISTRY_ERROR', `Token server ${url.host} sent no token`);
  const expiresIn = typeof parsed.expires_in === 'number' && parsed.expires_in >= 60 ? parsed.expires_in : 60;
  return { token, expiresIn };
}

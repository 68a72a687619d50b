import type { Readable } from 'node:stream';
import { LighterError, throwIfAborted } from '../errors';
import type { Reference } from '../ref/reference';
import { type Challenge, type Credentials, TokenCache, basicHeader, fetchToken, parseChallenges } from './auth';
import { getCredentials } from './credentials';
import { type RegistryHostOptions, allowsPlainHttp, apiHost, extraCaFor } from './hosts';
import { type HttpRequest, type HttpResponse, type HttpTimeouts, HttpTransport, defaultTimeouts, header, headerValues, readLimited } from './http';
import { responseError } from './response-errors';
import { type RetryPolicy, defaultRetryPolicy, isRetryableStatus, parseRetryAfter, retryDelayMs, sleep } from './retry';

/** A repository in a registry; a parsed Reference fits. */
export type Repository = Pick<Reference, 'domain' | 'path'>;

export interface RegistryClientOptions extends RegistryHostOptions {
  timeouts?: Partial<HttpTimeouts>;
  retry?: Partial<RetryPolicy>;
  /** Where credentials come from; default: docker's config.json and credential helpers. */
  credentials?: (domain: string) => Promise<Credentials | undefined>;
  userAgent?: string;
}

export interface CallOptions {
  method: HttpRequest['method'];
  /** Path and query below the registry root (`/v2/…`), or an absolute URL (upload locations). */
  path: string;
  headers?: Record<string, string>;
  /** A factory, so a retried or re-authenticated request can send its body again. */
  body?: () => Buffer | Readable;
  signal?: AbortSignal;
  /** Token scopes, e.g. `repository:app:pull`. */
  scopes?: string[];
  /** Whether 408/429/5xx and broken connections may be retried (idempotent requests). Default true. */
  retry?: boolean;
  /** A GET of a large body (a blob): see HttpRequest.bulk. */
  bulk?: boolean;
  /** Statuses handed back to the caller instead of being turned into errors (besides 2xx). */
  accept?: number[];
  /** For error messages: "manifest localhost:5000/app:v1". */
  what: string;
}

export function pullScope(repo: Repository): string {
  return `repository:${repo.path}:pull`;
}

export function pushScope(repo: Repository): string {
  return `repository:${repo.path}:pull,push`;
}

const maxRedirects = 5;

/**
 * Talks the distribution protocol to any number of registries: picks http or https, authenticates
 * (anonymous, Basic, Bearer tokens cached per scope), follows redirects without leaking
 * credentials to other hosts, and retries what is worth retrying.
 */
export class RegistryClient {
  readonly http: HttpTransport;
  readonly retryPolicy: RetryPolicy;
  private readonly tokens = new TokenCache();
  private readonly challenges = new Map<string, Challenge | null>();
  private readonly bases = new Map<string, Promise<string>>();
  private readonly credentialCache = new Map<string, Promise<Credentials | undefined>>();
  private readonly caCache = new Map<string, string[] | undefined>();

  constructor(readonly options: RegistryClientOptions = {}) {
    this.http = new HttpTransport({ ...defaultTimeouts, ...options.timeouts });
    this.retryPolicy = { ...defaultRetryPolicy, ...options.retry };
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  caFor(host: string): string[] | undefined {
    if (!this.caCache.has(host)) this.caCache.set(host, extraCaFor(host, this.options));
    return this.caCache.get(host);
  }

  credentialsFor(domain: string): Promise<Credentials | undefined> {
    let c = this.credentialCache.get(domain);
    if (!c) {
      c = this.options.credentials ? this.options.credentials(domain) : getCredentials(domain, this.options.env);
      this.credentialCache.set(domain, c);
      c.catch(() => this.credentialCache.delete(domain));
    }
    return c;
  }

  /**
   * `https://host` — or `http://host` for hosts allowed plain http (loopback, insecure list) that do
   * not speak TLS. Certificate errors are never downgraded to http.
   */
  baseUrl(domain: string, signal?: AbortSignal): Promise<string> {
    let base = this.bases.get(domain);
    if (!base) {
      base = this.chooseBase(apiHost(domain), signal);
      this.bases.set(domain, base);
      base.catch(() => this.bases.delete(domain));
    }
    return base;
  }

  private async chooseBase(host: string, signal?: AbortSignal): Promise<string> {
    const https = `https://${host}`;
    if (!allowsPlainHttp(host, this.options)) return https;
    try {
      const res = await this.http.send({ method: 'GET', url: `${https}/v2/`, signal, ca: this.caFor(host), headers: this.baseHeaders() });
      await res.body.dump().catch(() => undefined);
      return https;
    } catch (e) {
      if (e instanceof LighterError && (e.code === 'CANCELLED' || e.details?.tls === 'certificate')) throw e;
      return `http://${host}`;
    }
  }

  private baseHeaders(): Record<string, string> {
    return { 'user-agent': this.options.userAgent ?? 'lighter' };
  }

  /** The Authorization header for a request, from what the registry asked for before. */
  private async authorization(domain: string, scopes: string[], signal?: AbortSignal): Promise<string | undefined> {
    const challenge = this.challenges.get(domain);
    if (!challenge) return undefined;
    const credentials = await this.credentialsFor(domain);
    if (challenge.scheme === 'basic') return credentials && 'password' in credentials ? basicHeader(credentials) : undefined;
    if (challenge.scheme !== 'bearer') return undefined;
    const key = TokenCache.key(challenge.params.realm ?? '', challenge.params.service ?? '', scopes);
    let token = this.tokens.get(key);
    if (!token) {
      const realmHost = safeHost(challenge.params.realm);
      const result = await fetchToken(this.http, challenge, scopes, credentials, { signal, ca: realmHost ? this.caFor(realmHost) : undefined });
      this.tokens.set(key, result.token, result.expiresIn);
      token = result.token;
    }
    return `Bearer ${token}`;
  }

  /** The auth challenge learned from the registry's last 401, if any. */
  challengeFor(domain: string): Challenge | undefined {
    return this.challenges.get(domain) ?? undefined;
  }

  private forgetToken(domain: string, scopes: string[]): void {
    const c = this.challenges.get(domain);
    if (c?.scheme === 'bearer') this.tokens.delete(TokenCache.key(c.params.realm ?? '', c.params.service ?? '', scopes));
  }

  /** Learns the auth scheme from a 401; returns the scopes the registry asked for, merged with ours. */
  private learnChallenge(domain: string, res: HttpResponse, scopes: string[]): string[] {
    const challenges = parseChallenges(headerValues(res, 'www-authenticate'));
    const chosen = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    this.challenges.set(domain, chosen ?? null);
    const asked = chosen?.params.scope?.split(' ').filter(Boolean) ?? [];
    return [...new Set([...scopes, ...asked])];
  }

  /** Sends with manual redirects: Authorization only goes to the host it was meant for. */
  private async sendFollowingRedirects(url: string, headers: Record<string, string>, opts: CallOptions): Promise<HttpResponse> {
    let current = url;
    let method = opts.method;
    let sendHeaders = headers;
    for (let hop = 0; ; hop++) {
      const host = new URL(current).host;
      const res = await this.http.send({ method, url: current, headers: sendHeaders, body: opts.body?.(), signal: opts.signal, ca: this.caFor(host), bulk: opts.bulk });
      const location = header(res, 'location');
      if (![301, 302, 303, 307, 308].includes(res.status) || !location || method === 'POST' || method === 'PUT' || method === 'PATCH') return res;
      await res.body.dump().catch(() => undefined);
      if (hop >= maxRedirects) throw new LighterError('REGISTRY_ERROR', `${opts.what}: too many redirects`);
      const next = new URL(location, current);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new LighterError('REGISTRY_ERROR', `${opts.what}: redirect to unsupported URL`);
      if (next.host !== new URL(current).host || next.protocol !== new URL(current).protocol) {
        const { authorization: _dropped, ...rest } = sendHeaders;
        sendHeaders = rest;
      }
      if (res.status === 303) method = 'GET';
      current = next.toString();
    }
  }

  /**
   * One registry call with auth, redirects and bounded retries. Resolves with 2xx or `accept`ed
   * responses (body unread); everything else becomes a LighterError.
   */
  async call(domain: string, opts: CallOptions): Promise<HttpResponse> {
    let scopes = opts.scopes ?? [];
    const canRetry = opts.retry ?? true;
    let reauthenticated = false;
    let sentAuthorization: boolean;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(opts.signal);
      const url = /^https?:\/\//.test(opts.path) ? opts.path : (await this.baseUrl(domain, opts.signal)) + opts.path;
      const authorization = await this.authorization(domain, scopes, opts.signal);
      sentAuthorization = authorization !== undefined;
      const headers = { ...this.baseHeaders(), ...opts.headers, ...(authorization ? { authorization } : {}) };
      let res: HttpResponse;
      try {
        res = await this.sendFollowingRedirects(url, headers, opts);
      } catch (e) {
        if (canRetry && e instanceof LighterError && e.details?.retryable && attempt < this.retryPolicy.attempts) {
          await sleep(retryDelayMs(attempt, this.retryPolicy), opts.signal);
          continue;
        }
        throw e;
      }
      if (res.status === 401 && !reauthenticated) {
        await res.body.dump().catch(() => undefined);
        this.forgetToken(domain, scopes);
        scopes = this.learnChallenge(domain, res, scopes);
        reauthenticated = true;
        attempt--;
        continue;
      }
      if (res.status === 401) {
        await res.body.dump().catch(() => undefined);
        this.forgetToken(domain, scopes);
        const credentials = await this.credentialsFor(domain);
        if (credentials && sentAuthorization) {
          throw new LighterError('AUTH_FAILED', `${opts.what}: the registry rejected the credentials for ${domain}`, { status: 401 });
        }
        throw new LighterError('AUTH_REQUIRED', `${opts.what}: authentication required (run \`lighter login ${domain}\`)`, { status: 401 });
      }
      if ((res.status >= 200 && res.status < 300) || opts.accept?.includes(res.status)) return res;
      if (canRetry && isRetryableStatus(res.status) && attempt < this.retryPolicy.attempts) {
        await res.body.dump().catch(() => undefined);
        await sleep(retryDelayMs(attempt, this.retryPolicy, parseRetryAfter(header(res, 'retry-after'))), opts.signal);
        continue;
      }
      const body = opts.method === 'HEAD' ? undefined : await readLimited(res, 64 * 1024, opts.what).catch(() => undefined);
      throw responseError(res.status, body, opts.what);
    }
  }

  /** `GET /v2/`: whether the registry answers, and how it wants to be authenticated. */
  async ping(domain: string, signal?: AbortSignal): Promise<{ url: string; status: number; authScheme?: string }> {
    const base = await this.baseUrl(domain, signal);
    const res = await this.http.send({ method: 'GET', url: `${base}/v2/`, headers: this.baseHeaders(), signal, ca: this.caFor(new URL(base).host) });
    await res.body.dump().catch(() => undefined);
    if (res.status === 401) {
      this.learnChallenge(domain, res, []);
      return { url: base, status: 401, authScheme: this.challenges.get(domain)?.scheme };
    }
    if (res.status !== 200) throw responseError(res.status, undefined, `registry ${domain}`);
    return { url: base, status: 200 };
  }
}

function safeHost(url: string | undefined): string | undefined {
  try {
    return url ? new URL(url).host : undefined;
  } catch {
    return undefined;
  }
}

import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type { Agent } from 'undici';
import { LighterError, isAbortError } from '../errors';

export interface HttpTimeouts {
  /** Time allowed to open a connection (TCP + TLS). */
  connectTimeoutMs: number;
  /** Longest silence allowed while waiting for headers or between body chunks (a stall). */
  idleTimeoutMs: number;
}

export const defaultTimeouts: HttpTimeouts = { connectTimeoutMs: 15_000, idleTimeoutMs: 30_000 };

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  signal?: AbortSignal;
  /** Extra trusted CA certificates (PEM, including the system roots) for this host. */
  ca?: string[];
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { dump(): Promise<void> };
  url: string;
}

export function header(res: Pick<HttpResponse, 'headers'>, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function headerValues(res: Pick<HttpResponse, 'headers'>, name: string): string[] {
  const v = res.headers[name.toLowerCase()];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

const certificateErrors = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Codes worth another try: the connection broke or went silent, the server may answer next time. */
const transientCodes = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'EAI_AGAIN',
]);

function causeCode(e: unknown): string | undefined {
  const o = e as { code?: string; cause?: { code?: string } };
  return o?.code ?? o?.cause?.code;
}

/** Turns a socket / TLS / timeout failure into a LighterError; details.retryable says if retrying may help. */
export function networkError(e: unknown, url: string): LighterError {
  if (e instanceof LighterError) return e;
  if (isAbortError(e) || causeCode(e) === 'UND_ERR_ABORTED') return new LighterError('CANCELLED', 'Cancelled');
  const code = causeCode(e) ?? 'UNKNOWN';
  const host = safeHost(url);
  if (certificateErrors.has(code)) {
    return new LighterError(
      'NETWORK',
      `TLS certificate of ${host} is not trusted (${code}); add its CA with LIGHTER_REGISTRY_CA or <certs.d>/${host}/ca.crt`,
      { host, code, tls: 'certificate', retryable: false },
    );
  }
  const retryable = transientCodes.has(code);
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return new LighterError('TIMEOUT', `Timed out connecting to ${host}`, { host, code, retryable });
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new LighterError('TIMEOUT', `${host} stopped sending data (stalled)`, { host, code, retryable });
  }
  const reason =
    code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'host not found' : code === 'ECONNRESET' ? 'connection reset' : ((e as Error)?.message || code);
  return new LighterError('NETWORK', `Cannot reach ${host}: ${reason}`, { host, code, retryable });
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'registry';
  }
}

type Undici = typeof import('undici');
let undici: Undici | undefined;
/** undici loads on first use: commands that never reach a registry start faster without it. */
function loadUndici(): Undici {
  undici ??= createRequire(import.meta.url)('undici') as Undici;
  return undici;
}

/** One HTTP exchange, no redirects followed, no retries: those are decided by the caller. */
export class HttpTransport {
  private readonly agents = new Map<string, Agent>();

  constructor(readonly timeouts: HttpTimeouts = defaultTimeouts) {}

  private agentFor(ca?: string[]): Agent {
    const key = ca ? ca.join('') : '';
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new (loadUndici().Agent)({
        connect: { timeout: this.timeouts.connectTimeoutMs, ...(ca ? { ca } : {}) },
        headersTimeout: this.timeouts.idleTimeoutMs,
        bodyTimeout: this.timeouts.idleTimeoutMs,
      });
      this.agents.set(key, agent);
    }
    return agent;
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    try {
      const res = await loadUndici().request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: req.signal,
        dispatcher: this.agentFor(req.ca),
      });
      // Failures while reading the body are mapped by the reader (see readLimited / blob streams).
      return { status: res.statusCode, headers: res.headers, body: res.body as HttpResponse['body'], url: req.url };
    } catch (e) {
      throw networkError(e, req.url);
    }
  }

  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
  }
}

/** Reads a whole (small) body, failing once it exceeds `limit` bytes. */
export async function readLimited(res: HttpResponse, limit: number, what: string): Promise<Buffer> {
  const declared = Number(header(res, 'content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await res.body.dump().catch(() => undefined);
    throw new LighterError('REGISTRY_ERROR', `${what} is too large (${declared} bytes, limit ${limit})`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body) {
      total += (chunk as Buffer).length;
      if (total > limit) {
        res.body.destroy();
        throw new LighterError('REGISTRY_ERROR', `${what} is too large (over ${limit} bytes)`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (e) {
    throw networkError(e, res.url);
  }
  return Buffer.concat(chunks);
}

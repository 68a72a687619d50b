import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LighterError, cancelled, isAbortError } from '../errors';
import { rawGet } from './raw-get';

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
  /** A GET of a large body (a blob): read straight from its own connection (raw-get.ts). */
  bulk?: boolean;
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
  'LIGHTER_CONNECT_TIMEOUT',
  'LIGHTER_IDLE_TIMEOUT',
  'EAI_AGAIN',
]);

function causeCode(e: unknown): string | undefined {
  const o = e as { code?: string; cause?: { code?: string } };
  return o?.code ?? o?.cause?.code;
}

/** Turns a socket / TLS / timeout failure into a LighterError; details.retryable says if retrying may help. */
export function networkError(e: unknown, url: string): LighterError {
  if (e instanceof LighterError) return e;
  if (isAbortError(e)) return new LighterError('CANCELLED', 'Cancelled');
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
  if (code === 'LIGHTER_CONNECT_TIMEOUT') return new LighterError('TIMEOUT', `Timed out connecting to ${host}`, { host, code, retryable });
  if (code === 'LIGHTER_IDLE_TIMEOUT') {
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

type Agent = HttpAgent | HttpsAgent;

/**
 * One HTTP exchange, no redirects followed, no retries: those are decided by the caller. On Node's
 * own http and https: connections are kept alive per CA set, a connection that takes too long to
 * open or goes silent too long is dropped with a TIMEOUT, and a cancelled signal ends both the
 * request and a body being read with CANCELLED.
 */
export class HttpTransport {
  private readonly agents = new Map<string, Agent>();

  constructor(readonly timeouts: HttpTimeouts = defaultTimeouts) {}

  private agentFor(secure: boolean, ca?: string[]): Agent {
    const key = `${secure}:${ca ? ca.join('') : ''}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent = secure ? new HttpsAgent({ keepAlive: true, ...(ca ? { ca } : {}) }) : new HttpAgent({ keepAlive: true });
      this.agents.set(key, agent);
    }
    return agent;
  }

  send(req: HttpRequest): Promise<HttpResponse> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return Promise.reject(new LighterError('INVALID_INPUT', `Not a valid URL: ${req.url}`));
    }
    if (req.bulk && req.method === 'GET' && req.body === undefined) return rawGet(req, url, this.timeouts);
    const secure = url.protocol === 'https:';
    const { connectTimeoutMs, idleTimeoutMs } = this.timeouts;
    if (req.signal?.aborted) return Promise.reject(cancelled());
    return new Promise<HttpResponse>((resolve, reject) => {
      const request = (secure ? httpsRequest : httpRequest)(url, { method: req.method, headers: req.headers, agent: this.agentFor(secure, req.ca) });
      let response: IncomingMessage | undefined;
      /** Ends the exchange: before the answer the request fails, after it the body being read does. */
      const fail = (error: Error) => {
        if (response) response.destroy(error);
        else request.destroy(error);
      };
      const onAbort = () => fail(cancelled());
      req.signal?.addEventListener('abort', onAbort, { once: true });

      request.once('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(() => fail(codedError(connectTimeoutCode, 'connect timeout')), connectTimeoutMs);
        socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(timer)).once('close', () => clearTimeout(timer));
      });
      request.setTimeout(idleTimeoutMs, () => fail(codedError(idleTimeoutCode, 'no data')));
      // `on`, not `once`: a socket may fail again after the first error, and an error event nobody
      // listens to would end the process. Errors after the answer go to its body's reader.
      request.on('error', (e) => {
        if (!response) req.signal?.removeEventListener('abort', onAbort);
        reject(networkError(e, req.url));
      });
      request.once('response', (res) => {
        response = res;
        res.once('close', () => {
          req.signal?.removeEventListener('abort', onAbort);
          request.setTimeout(0);
        });
        const body = Object.assign(res, { dump: () => dump(res) });
        resolve({ status: res.statusCode ?? 0, headers: singleValues(res.headersDistinct), body, url: req.url });
      });

      if (req.body === undefined) request.end();
      else if (Buffer.isBuffer(req.body)) request.end(req.body);
      else pipeline(req.body, request).catch((e: Error) => request.destroy(e));
    });
  }

  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    for (const agent of agents) agent.destroy();
  }
}

export const connectTimeoutCode = 'LIGHTER_CONNECT_TIMEOUT';
export const idleTimeoutCode = 'LIGHTER_IDLE_TIMEOUT';

export function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Headers as one string each, or a list when the server sent one several times. */
export function singleValues(headers: NodeJS.Dict<string[]>): HttpResponse['headers'] {
  const out: HttpResponse['headers'] = {};
  for (const [name, values] of Object.entries(headers)) if (values) out[name] = values.length === 1 ? values[0] : values;
  return out;
}

/** Drops a body: read to its end when small (the connection can serve again), else the connection is closed. */
function dump(res: IncomingMessage): Promise<void> {
  if (res.complete || res.destroyed) return Promise.resolve();
  const length = Number(res.headers['content-length']);
  if (!(Number.isFinite(length) && length <= 256 * 1024)) {
    res.destroy();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    res.once('close', () => resolve());
    res.resume();
  });
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

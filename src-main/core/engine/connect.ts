/**
 * Opening one engine: a Dockerode for a candidate, a short probe, and API version negotiation
 * (dockerode has none: unpinned it talks the engine's newest version, pinned too old it is refused).
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as netConnect, type NetConnectOpts } from 'node:net';
import type Docker from 'dockerode';
import { LighterError } from '../errors';
import { readHead, type ResponseFailures } from '../http/response';
import { parseEngineHost } from './host';
import { loadDockerode } from './load-dockerode';
import type { EngineAttempt, EngineCandidate, EngineInfo } from './types';

/** The newest Engine API version this client is written against. */
export const newestApiVersion = '1.47';
export const connectTimeoutMs = 3000;

/**
 * Where raw requests reach an engine: its socket or address (with a TLS agent), and the API version
 * to talk as a path prefix ("v1.41"). The same fields as dockerode's modem holds.
 */
export interface EngineEndpoint {
  socketPath?: string;
  protocol?: string;
  host?: string;
  port?: number | string;
  agent?: HttpsAgent;
  version?: string;
  headers?: Record<string, string>;
}

/** What moving images needs of an engine: raw requests for bodies, dockerode for the rest. */
export interface EngineAccess {
  readonly endpoint: EngineEndpoint;
  readonly docker: Docker;
}

export interface ConnectedEngine extends EngineAccess {
  info: EngineInfo;
  candidate: EngineCandidate;
}

/** An existing Dockerode as engine access: its modem is the endpoint. */
export function accessOf(docker: Docker): EngineAccess {
  return { endpoint: docker.modem as unknown as EngineEndpoint, docker };
}

/** -1, 0, 1 comparing "1.41"-style versions numerically. */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * The version to talk: the older of the engine's and ours, but never below what the engine still
 * accepts. Undefined when the engine does not say (then requests stay unversioned).
 */
export function negotiateApiVersion(engineApi: string | undefined, engineMin?: string, clientMax = newestApiVersion): string | undefined {
  if (!engineApi || !/^\d+\.\d+$/.test(engineApi)) return undefined;
  let version = compareApiVersions(engineApi, clientMax) < 0 ? engineApi : clientMax;
  if (engineMin && /^\d+\.\d+$/.test(engineMin) && compareApiVersions(version, engineMin) < 0) version = engineMin;
  return version;
}

/** The API version a Dockerode made here talks, e.g. "1.41"; undefined before negotiation. */
export function apiVersionOf(docker: Docker): string | undefined {
  const v = (docker.modem as { version?: string }).version;
  return v ? v.replace(/^v/, '') : undefined;
}

// docker-modem fills defaults from process.env.DOCKER_HOST & co. (and throws on a malformed one):
// hide them while constructing so a Dockerode talks to exactly the candidate it was made for.
const modemEnv = ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_PATH_PREFIX', 'DOCKER_CLIENT_TIMEOUT'];

function withoutDockerEnv<T>(make: () => T): T {
  const saved = modemEnv.map((k) => [k, process.env[k]] as const);
  for (const k of modemEnv) delete process.env[k];
  try {
    return make();
  } finally {
    for (const [k, v] of saved) if (v !== undefined) process.env[k] = v;
  }
}

/** Dockerode options for a candidate (exported for tests). Reads TLS files; throws INVALID_INPUT. */
export function dockerOptions(candidate: EngineCandidate, env: NodeJS.ProcessEnv = process.env): Docker.DockerOptions & Record<string, unknown> {
  const address = parseEngineHost(candidate.host, !!candidate.tls);
  switch (address.kind) {
    case 'unix':
      return { socketPath: address.socketPath };
    case 'npipe':
      return { socketPath: address.pipePath };
    case 'ssh':
      return {
        protocol: 'ssh',
        host: address.hostname,
        port: address.port,
        username: address.username,
        sshOptions: { agent: env.SSH_AUTH_SOCK },
      };
    case 'tcp': {
      if (!candidate.tls) return { protocol: 'http', host: address.hostname, port: address.port };
      const read = (path?: string) => {
        if (!path) return undefined;
        try {
          return readFileSync(path);
        } catch (e) {
          throw new LighterError('INVALID_INPUT', `cannot read TLS file ${path} for ${candidate.host}: ${(e as Error).message}`);
        }
      };
      const tls = { ca: read(candidate.tls.caPath), cert: read(candidate.tls.certPath), key: read(candidate.tls.keyPath) };
      // An agent carries the TLS settings, so "skip verify" (rejectUnauthorized) is honoured too.
      const agent = new HttpsAgent({ ...tls, rejectUnauthorized: candidate.tls.verify });
      return { protocol: 'https', host: address.hostname, port: address.port, agent };
    }
  }
}

/** A Dockerode for the candidate, API version not yet pinned. */
export function createDocker(candidate: EngineCandidate, env: NodeJS.ProcessEnv = process.env): Docker {
  return new LazyAccess(dockerOptions(candidate, env)).docker;
}

/** A one-line reason a connection failed, naming the host and what to do about it. */
export function describeConnectError(error: unknown, candidate: EngineCandidate): string {
  const e = error as { code?: string; message?: string; name?: string; statusCode?: number };
  const host = candidate.host;
  const path = host.replace(/^unix:\/\//, '');
  switch (e.code) {
    case 'ENOENT':
      return `no engine socket at ${path}`;
    case 'ECONNREFUSED':
      return `nothing is listening at ${host} (connection refused)`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied on ${path}: add your user to the "docker" group (then log in again), or use rootless Docker`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host of ${host} not found`;
    case 'ETIMEDOUT':
      return `no answer from ${host} (timed out)`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `${host} closed the connection (is it a Docker engine?)`;
  }
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') return `no answer from ${host} within ${connectTimeoutMs / 1000} s`;
  if (e instanceof LighterError) return e.message;
  if (e.statusCode) return `${host} answered HTTP ${e.statusCode}: ${cleanEngineMessage(e.message ?? '')}`;
  return `${host}: ${e.message ?? String(error)}`;
}

/** dockerode's "(HTTP code 404) no such container - message" becomes just the engine's message. */
export function cleanEngineMessage(message: string): string {
  return message.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim();
}

interface VersionBody {
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
  Platform?: { Name?: string };
  Components?: { Name?: string; Version?: string }[];
}

interface InfoBody {
  OperatingSystem?: string;
  Name?: string;
}

/** A person's name for the engine behind a candidate. */
export function engineName(version: VersionBody, info: InfoBody | undefined, candidate: EngineCandidate): string {
  const platform = version.Platform?.Name ?? '';
  if (/podman/i.test(platform) || version.Components?.some((c) => /podman/i.test(c.Name ?? ''))) return 'Podman';
  if (/docker desktop/i.test(platform) || /docker desktop/i.test(info?.OperatingSystem ?? '') || info?.Name === 'docker-desktop') {
    return 'Docker Desktop';
  }
  const context = candidate.context ?? '';
  if (/^colima/.test(context) || candidate.host.includes('/.colima/')) return 'Colima';
  if (context === 'orbstack' || candidate.host.includes('/.orbstack/')) return 'OrbStack';
  if (context === 'rancher-desktop' || candidate.host.includes('/.rd/')) return 'Rancher Desktop';
  return 'Docker Engine';
}

// dockerode takes an abortSignal on these calls; its type declarations do not say so.
interface Probe {
  version(options: { abortSignal: AbortSignal }): Promise<VersionBody>;
  info(options: { abortSignal: AbortSignal }): Promise<InfoBody>;
}
const probe = (docker: Docker) => docker as unknown as Probe;

async function withTimeout<T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

export interface ConnectOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /**
   * false: the engine is reached, not named (for callers that just move images): a ping (≈1 ms)
   * instead of /version (≈20–40 ms: the engine asks its runtimes for their versions) and /info.
   */
  identify?: boolean;
}

/**
 * `HEAD /_ping`, as the docker CLI negotiates: its headers give the engine's API version. Local and
 * plain connections ask on a socket of their own: through Node's HTTP agent, the first request
 * costs ≈25 ms more here (the agent names each server, and Node compiles its IPv6 pattern for it).
 * Undefined where dockerode's own transport is needed (ssh), or when the answer names no version.
 */
async function ping(modem: EngineEndpoint, signal: AbortSignal): Promise<VersionBody | undefined> {
  let headers: Map<string, string[]>;
  if (modem.socketPath || modem.protocol === 'http') {
    headers = await rawPing(modem.socketPath ? { path: modem.socketPath } : { host: modem.host, port: Number(modem.port) }, signal);
  } else if (modem.protocol === 'https') {
    headers = await new Promise((resolve, reject) => {
      const req = httpsRequest({ host: modem.host, port: Number(modem.port), agent: modem.agent, method: 'HEAD', path: '/_ping', signal }, (res) => {
        res.resume();
        if (res.statusCode !== 200) reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode }));
        else resolve(new Map(Object.entries(res.headers).map(([k, v]) => [k, [v ?? ''].flat()])));
      });
      req.on('error', reject).end();
    });
  } else {
    return undefined;
  }
  const apiVersion = headers.get('api-version')?.[0];
  if (!apiVersion) return undefined;
  const podman = headers.has('libpod-api-version');
  return { ApiVersion: apiVersion, Os: headers.get('ostype')?.[0], Platform: podman ? { Name: 'Podman' } : undefined };
}

async function rawPing(target: NetConnectOpts, signal: AbortSignal): Promise<Map<string, string[]>> {
  const socket = netConnect(target);
  const stop = () => socket.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' }));
  signal.addEventListener('abort', stop, { once: true });
  try {
    socket.write('HEAD /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
    const head = await readHead(socket, pingFailures);
    if (head.status !== 200) throw Object.assign(new Error(`HTTP ${head.status}`), { statusCode: head.status });
    return head.headers;
  } finally {
    signal.removeEventListener('abort', stop);
    socket.destroy();
  }
}

const pingFailures: ResponseFailures = {
  malformed: (detail) => new Error(`the engine answered with ${detail}`),
  closed: () => Object.assign(new Error('the engine closed the connection'), { code: 'ECONNRESET' }),
  failed: (e) => e,
};

/** Probes one candidate and pins the negotiated API version; throws ENGINE_UNREACHABLE. */
export async function connectEngine(candidate: EngineCandidate, options: ConnectOptions = {}): Promise<ConnectedEngine> {
  const timeoutMs = options.timeoutMs ?? connectTimeoutMs;
  const unreachable = (e: unknown) =>
    new LighterError('ENGINE_UNREACHABLE', `Cannot reach the engine at ${candidate.host}: ${describeConnectError(e, candidate)}`, {
      host: candidate.host,
      foundBy: candidate.foundBy,
      cause: (e as { code?: string }).code,
    });
  let access: LazyAccess;
  let version: VersionBody;
  let asked: Promise<InfoBody | undefined> = Promise.resolve(undefined);
  try {
    access = new LazyAccess(dockerOptions(candidate, options.env));
    const identify = options.identify !== false;
    // Both at once: /info only names the engine, and it is the slow one (≈30 ms on a local engine).
    if (identify) asked = withTimeout(timeoutMs, (abortSignal) => probe(access.docker).info({ abortSignal })).catch(() => undefined);
    // An engine that refuses the ping (an HTTP error) may still answer /version.
    const pinged = identify ? undefined : await withTimeout(timeoutMs, (abortSignal) => ping(access.endpoint, abortSignal)).catch((e: { statusCode?: number }) => {
      if (e.statusCode) return undefined;
      throw e;
    });
    version = pinged ?? (await withTimeout(timeoutMs, (abortSignal) => probe(access.docker).version({ abortSignal })));
  } catch (e) {
    await asked;
    throw unreachable(e);
  }
  const info = await asked;
  const apiVersion = negotiateApiVersion(version.ApiVersion, version.MinAPIVersion);
  if (apiVersion) access.endpoint.version = `v${apiVersion}`;
  return Object.assign(access, {
    candidate,
    info: {
      name: engineName(version, info, candidate),
      version: version.Version ?? 'unknown',
      apiVersion: apiVersion ?? version.ApiVersion ?? 'unknown',
      minApiVersion: version.MinAPIVersion,
      os: version.Os ?? 'unknown',
      arch: version.Arch ?? 'unknown',
      kernelVersion: version.KernelVersion,
      operatingSystem: info?.OperatingSystem,
      host: candidate.host,
      source: candidate.source,
      foundBy: candidate.foundBy,
    },
  });
}

/**
 * Engine access whose dockerode is made on first use: moving images over a local socket or plain
 * TCP needs only the endpoint, and loading dockerode costs ≈50 ms of every such CLI run.
 */
class LazyAccess implements EngineAccess {
  readonly endpoint: EngineEndpoint;
  private made?: Docker;

  constructor(private readonly options: Docker.DockerOptions) {
    this.endpoint = { ...options } as EngineEndpoint;
  }

  get docker(): Docker {
    this.made ??= withoutDockerEnv(() => new (loadDockerode())(this.options));
    // dockerode's modem holds the version it talks: the endpoint's, pinned or not yet.
    (this.made.modem as { version?: string }).version = this.endpoint.version;
    return this.made;
  }
}

/** Tries candidates in order; the first that answers wins. Throws ENGINE_UNREACHABLE listing attempts. */
export async function connectFirst(candidates: EngineCandidate[], options: ConnectOptions & { attempts?: EngineAttempt[] } = {}): Promise<ConnectedEngine> {
  const attempts = options.attempts ?? [];
  for (const candidate of candidates) {
    try {
      return await connectEngine(candidate, options);
    } catch (e) {
      attempts.push({ host: candidate.host, foundBy: candidate.foundBy, error: (e as Error).message });
    }
  }
  throw unreachableError(attempts);
}

/** ENGINE_UNREACHABLE summarizing what was tried. */
export function unreachableError(attempts: EngineAttempt[]): LighterError {
  const message = attempts.length
    ? `No container engine reachable: ${attempts.map((a) => a.error.replace(/^Cannot reach the engine at /, '')).join('; ')}`
    : 'No container engine found: set DOCKER_HOST, pick a docker context, or start Docker or Podman';
  return new LighterError('ENGINE_UNREACHABLE', message, { attempts });
}

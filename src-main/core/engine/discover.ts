/**
 * Where might an engine be? The docker CLI's order: $DOCKER_HOST, the current docker context, then
 * the well-known sockets of Docker Desktop, system Docker, rootless Docker and Podman.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { digestHex, sha256 } from '../image/digest';
import type { EngineCandidate, EngineContextInfo, EngineSelection } from './types';
import { LighterError } from '../errors';
import { normalizeUserHost } from './host';

export interface DiscoverOptions {
  env: NodeJS.ProcessEnv;
  home: string;
  /** Whether a socket file is there; injectable for tests. */
  exists?: (path: string) => boolean;
  platform?: NodeJS.Platform;
}

const windowsPipe = 'npipe:////./pipe/docker_engine';

/** Every place worth trying, in order, without duplicates. Sockets only when the file exists. */
export function discoverEngines(options: DiscoverOptions): EngineCandidate[] {
  const { env, home } = options;
  const exists = options.exists ?? existsSync;
  const platform = options.platform ?? process.platform;
  const found: EngineCandidate[] = [];

  const fromEnv = dockerHostCandidate(env, home);
  if (fromEnv) found.push(fromEnv);

  const context = currentContextName(env, home);
  if (context && context !== 'default') {
    const candidate = contextCandidate(context, env, home);
    if (candidate) found.push(candidate);
  }

  if (platform === 'win32') {
    found.push({ host: windowsPipe, source: 'npipe', foundBy: 'Docker Desktop named pipe' });
  } else {
    const runtime = env.XDG_RUNTIME_DIR;
    const sockets: [string | undefined, EngineCandidate['source'], string][] = [
      [join(home, '.docker', 'run', 'docker.sock'), 'docker-desktop', 'Docker Desktop socket'],
      ['/var/run/docker.sock', 'default-socket', 'default Docker socket'],
      [runtime && join(runtime, 'docker.sock'), 'rootless-docker', 'rootless Docker socket'],
      [runtime && join(runtime, 'podman', 'podman.sock'), 'podman', 'Podman socket (user)'],
      ['/run/podman/podman.sock', 'podman', 'Podman socket (system)'],
    ];
    for (const [path, source, foundBy] of sockets) {
      if (path && exists(path)) found.push({ host: `unix://${path}`, source, foundBy: `${foundBy} ${path}` });
    }
  }

  const seen = new Set<string>();
  return found.filter((c) => !seen.has(c.host) && (seen.add(c.host), true));
}

/** $DOCKER_HOST with the TLS settings the docker CLI reads next to it. */
function dockerHostCandidate(env: NodeJS.ProcessEnv, home: string): EngineCandidate | undefined {
  const host = env.DOCKER_HOST?.trim();
  if (!host) return undefined;
  const candidate: EngineCandidate = { host, source: 'DOCKER_HOST', foundBy: '$DOCKER_HOST' };
  const verify = !!env.DOCKER_TLS_VERIFY;
  if (host.startsWith('tcp://') && (verify || !!env.DOCKER_TLS || !!env.DOCKER_CERT_PATH)) {
    const dir = env.DOCKER_CERT_PATH || configDir(env, home);
    candidate.tls = {
      caPath: join(dir, 'ca.pem'),
      certPath: join(dir, 'cert.pem'),
      keyPath: join(dir, 'key.pem'),
      verify,
    };
  }
  return candidate;
}

function configDir(env: NodeJS.ProcessEnv, home: string): string {
  return env.DOCKER_CONFIG || join(home, '.docker');
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** $DOCKER_CONTEXT, else `currentContext` of the docker config file. */
export function currentContextName(env: NodeJS.ProcessEnv, home: string): string | undefined {
  if (env.DOCKER_CONTEXT) return env.DOCKER_CONTEXT;
  const config = readJson(join(configDir(env, home), 'config.json'));
  const current = config?.currentContext;
  return typeof current === 'string' && current ? current : undefined;
}

/** Contexts live in folders named by the sha256 of their name. */
function contextId(name: string): string {
  return digestHex(sha256(name));
}

interface ContextMeta {
  name: string;
  host: string;
  skipTlsVerify: boolean;
  description?: string;
}

function readContextMeta(dir: string): ContextMeta | undefined {
  const meta = readJson(join(dir, 'meta.json'));
  if (!meta || typeof meta.Name !== 'string') return undefined;
  const endpoints = (meta.Endpoints ?? {}) as Record<string, { Host?: unknown; SkipTLSVerify?: unknown }>;
  const docker = endpoints.docker ?? {};
  const metadata = (meta.Metadata ?? {}) as { Description?: unknown };
  return {
    name: meta.Name,
    host: typeof docker.Host === 'string' ? docker.Host : '',
    skipTlsVerify: docker.SkipTLSVerify === true,
    description: typeof metadata.Description === 'string' && metadata.Description ? metadata.Description : undefined,
  };
}

/** The engine of a named docker context, with its TLS files when it has them. */
export function contextCandidate(name: string, env: NodeJS.ProcessEnv, home: string): EngineCandidate | undefined {
  const root = join(configDir(env, home), 'contexts');
  const id = contextId(name);
  const meta = readContextMeta(join(root, 'meta', id));
  if (!meta || !meta.host) return undefined;
  const candidate: EngineCandidate = {
    host: meta.host,
    source: 'context',
    foundBy: `docker context "${name}"`,
    context: name,
  };
  const tlsDir = join(root, 'tls', id, 'docker');
  const file = (f: string) => (existsSync(join(tlsDir, f)) ? join(tlsDir, f) : undefined);
  const tls = { caPath: file('ca.pem'), certPath: file('cert.pem'), keyPath: file('key.pem') };
  if (meta.host.startsWith('tcp://') && (tls.caPath || tls.certPath || meta.skipTlsVerify)) {
    candidate.tls = { ...tls, verify: !meta.skipTlsVerify };
  }
  return candidate;
}

/** Every docker context for the picker, `default` first (what DOCKER_HOST or the default socket gives). */
export function listContexts(options: DiscoverOptions): EngineContextInfo[] {
  const { env, home } = options;
  const platform = options.platform ?? process.platform;
  const current = currentContextName(env, home) ?? 'default';
  const defaultHost = env.DOCKER_HOST || (platform === 'win32' ? windowsPipe : 'unix:///var/run/docker.sock');
  const contexts: EngineContextInfo[] = [
    { name: 'default', host: defaultHost, description: 'Current DOCKER_HOST based configuration', current: current === 'default' },
  ];
  const metaRoot = join(configDir(env, home), 'contexts', 'meta');
  let dirs: string[] = [];
  try {
    dirs = readdirSync(metaRoot);
  } catch {
    /* no contexts made yet */
  }
  const named = dirs
    .map((d) => readContextMeta(join(metaRoot, d)))
    .filter((m): m is ContextMeta => !!m && m.name !== 'default')
    .sort((a, b) => a.name.localeCompare(b.name));
  for (const m of named) {
    contexts.push({ name: m.name, host: m.host, description: m.description, current: m.name === current });
  }
  return contexts;
}

/** The candidates for what the user picked: a named context or a typed host. */
export function selectionCandidates(selection: EngineSelection, options: DiscoverOptions): EngineCandidate[] {
  if ('host' in selection) {
    // TLS engines are reached through a docker context, which carries the certificates.
    return [{ host: normalizeUserHost(selection.host), source: 'user', foundBy: 'chosen by you' }];
  }
  if (selection.context === 'default') {
    return discoverEngines(options).filter((c) => c.source !== 'context');
  }
  const candidate = contextCandidate(selection.context, options.env, options.home);
  if (!candidate) {
    throw new LighterError('NOT_FOUND', `docker context "${selection.context}" does not exist or has no docker endpoint`);
  }
  return [candidate];
}

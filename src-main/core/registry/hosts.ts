import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { LighterError } from '../errors';
import { defaultDomain } from '../ref/reference';

/** Where and how to reach registries; every field is optional and also read from the environment. */
export interface RegistryHostOptions {
  /** Hosts (`host[:port]`) that may be spoken to over plain http. Env LIGHTER_INSECURE_REGISTRIES (comma list). */
  insecureRegistries?: string[];
  /** A PEM file or a directory of `*.crt`/`*.pem` trusted for every registry. Env LIGHTER_REGISTRY_CA. */
  caPath?: string;
  /** Per-host CA files, keyed `host[:port]`. */
  caByHost?: Record<string, string>;
  /** docker's `certs.d` convention: `<certsDir>/<host[:port]>/*.crt`. Env LIGHTER_CERTS_DIR, default /etc/docker/certs.d. */
  certsDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** docker.io's API lives elsewhere; credentials for it are stored under its old index URL. */
export const dockerHubApiHost = 'registry-1.docker.io';
export const dockerHubCredentialKey = 'https://index.docker.io/v1/';

export function apiHost(domain: string): string {
  return domain === defaultDomain || domain === 'index.docker.io' ? dockerHubApiHost : domain;
}

/** The key under which docker stores credentials for a registry domain. */
export function credentialKey(domain: string): string {
  return domain === defaultDomain || domain === 'index.docker.io' || domain === dockerHubApiHost ? dockerHubCredentialKey : domain;
}

/** Host name without port and brackets. */
export function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon > 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

export function isLoopback(host: string): boolean {
  const name = hostName(host).toLowerCase();
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** Plain http is allowed for loopback hosts (as docker does) and for hosts marked insecure. */
export function allowsPlainHttp(host: string, options: RegistryHostOptions = {}): boolean {
  if (isLoopback(host)) return true;
  const env = options.env ?? process.env;
  const listed = [...(options.insecureRegistries ?? []), ...(env.LIGHTER_INSECURE_REGISTRIES ?? '').split(',')]
    .map((s) => s.trim().replace(/^https?:\/\//, '').replace(/\/+$/, ''))
    .filter(Boolean);
  return listed.includes(host) || listed.includes(hostName(host));
}

function pemFilesIn(path: string, extensions: string[]): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return [];
  }
  if (stat.isFile()) return [path];
  if (!stat.isDirectory()) return [];
  return readdirSync(path)
    .filter((f) => extensions.some((e) => f.endsWith(e)))
    .sort()
    .map((f) => join(path, f));
}

/**
 * Extra CA certificates to trust for `host` (PEM texts), or undefined when only the system roots
 * apply. When present they are added to Node's root certificates, not put in their place.
 */
export function extraCaFor(host: string, options: RegistryHostOptions = {}): string[] | undefined {
  const env = options.env ?? process.env;
  const files = new Set<string>();
  const general = options.caPath ?? env.LIGHTER_REGISTRY_CA;
  if (general) {
    const found = pemFilesIn(general, ['.crt', '.pem']);
    if (found.length === 0) throw new LighterError('INVALID_INPUT', `No CA certificate found at ${general}`);
    found.forEach((f) => files.add(f));
  }
  const own = options.caByHost?.[host];
  if (own) files.add(own);
  const certsDir = options.certsDir ?? env.LIGHTER_CERTS_DIR ?? '/etc/docker/certs.d';
  // docker names the folder host:port; on Windows ':' is not allowed, so host_port is accepted too.
  for (const dir of [host, host.replace(/:(\d+)$/, '_$1')]) pemFilesIn(join(certsDir, dir), ['.crt']).forEach((f) => files.add(f));
  if (files.size === 0) return undefined;
  return [...rootCertificates, ...[...files].map((f) => readFileSync(f, 'utf8'))];
}

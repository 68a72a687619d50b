import { LighterError } from '../errors';

/** An engine address taken apart: how to open a connection to it. */
export type EngineAddress =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'npipe'; pipePath: string }
  | { kind: 'tcp'; hostname: string; port: number }
  | { kind: 'ssh'; hostname: string; port: number; username?: string };

const hint = 'use unix:///path/to/docker.sock, tcp://HOST:PORT, ssh://USER@HOST or npipe:////./pipe/NAME';

function bad(text: string, why: string): LighterError {
  return new LighterError('INVALID_INPUT', `invalid engine address "${text}": ${why} (${hint})`, { host: text });
}

/**
 * Parses an engine host the way DOCKER_HOST and `docker -H` spell them.
 * `tlsPort` picks 2376 over 2375 when a tcp address has no port and TLS is on.
 */
export function parseEngineHost(text: string, tlsPort = false): EngineAddress {
  const trimmed = text.trim();
  if (trimmed === '') throw bad(text, 'it is empty');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(trimmed)?.[1]?.toLowerCase();
  if (!scheme) throw bad(text, 'it has no scheme');
  const rest = trimmed.slice(scheme.length + 3);
  switch (scheme) {
    case 'unix':
      if (!rest.startsWith('/')) throw bad(text, 'a unix socket path must be absolute');
      return { kind: 'unix', socketPath: rest };
    case 'npipe':
      if (rest === '') throw bad(text, 'the pipe path is empty');
      return { kind: 'npipe', pipePath: rest.replace(/\\/g, '/') };
    case 'tcp':
    case 'ssh': {
      let url: URL;
      try {
        url = new URL(`${scheme === 'tcp' ? 'http' : 'ssh'}://${rest}`);
      } catch {
        throw bad(text, 'the host part cannot be parsed');
      }
      if (!url.hostname) throw bad(text, 'the host name is empty');
      if (url.pathname !== '/' && url.pathname !== '') throw bad(text, 'a path after the host is not supported');
      const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
      if (scheme === 'tcp') {
        const port = url.port ? Number(url.port) : tlsPort ? 2376 : 2375;
        return { kind: 'tcp', hostname, port };
      }
      return {
        kind: 'ssh',
        hostname,
        port: url.port ? Number(url.port) : 22,
        username: url.username ? decodeURIComponent(url.username) : undefined,
      };
    }
    default:
      throw bad(text, `scheme "${scheme}://" is not supported`);
  }
}

/**
 * What a person typed into the engine picker, made into a host string: a bare absolute path is a
 * unix socket and a bare `host:port` is tcp, as `docker -H` accepts them. Throws INVALID_INPUT.
 */
export function normalizeUserHost(text: string): string {
  const trimmed = text.trim();
  let host = trimmed;
  if (trimmed.startsWith('/')) host = `unix://${trimmed}`;
  else if (/^[^/:]+:\d+$/.test(trimmed)) host = `tcp://${trimmed}`;
  parseEngineHost(host);
  return host;
}

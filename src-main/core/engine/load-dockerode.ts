import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';

/**
 * dockerode, loaded on first use and without the two parts that make it slow to load: docker-modem's
 * ssh transport (ssh2) and dockerode's BuildKit session (gRPC, protobuf) cost about 0.08 s of every
 * CLI run, yet serve only ssh:// engines and BuildKit builds. Each is stood in for by a function
 * that loads the real module when first called.
 */
let dockerode: typeof Docker | undefined;

export function loadDockerode(): typeof Docker {
  if (dockerode) return dockerode;
  const require = createRequire(import.meta.url);
  const main = require.resolve('dockerode');
  const fromDockerode = createRequire(main);
  loadOnFirstCall(require, join(dirname(main), 'session.js'));
  loadOnFirstCall(require, join(dirname(fromDockerode.resolve('docker-modem')), 'ssh.js'));
  dockerode = require('dockerode') as typeof Docker;
  return dockerode;
}

/** Puts a stand-in for the function a CommonJS module exports into the require cache. */
function loadOnFirstCall(require: NodeJS.Require, path: string): void {
  if (require.cache[path]) return;
  let real: ((...args: unknown[]) => unknown) | undefined;
  const standIn = new Module(path);
  standIn.filename = path;
  standIn.loaded = true;
  standIn.exports = function (this: unknown, ...args: unknown[]) {
    if (!real) {
      delete require.cache[path];
      real = require(path) as (...args: unknown[]) => unknown;
    }
    return real.apply(this, args);
  };
  require.cache[path] = standIn;
}

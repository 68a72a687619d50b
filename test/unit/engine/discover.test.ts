import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverEngines, listContexts, selectionCandidates } from '../../../src-main/core/engine/discover';

let home: string;
let servers: Server[] = [];

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'lighter-discover-'));
});
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
  rmSync(home, { recursive: true, force: true });
});

/** A real unix socket at `path`, as an engine would leave it. */
async function socketAt(path: string): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  servers.push(server);
}

function writeContext(name: string, host: string, options: { skipTls?: boolean; tls?: boolean; description?: string } = {}): string {
  const id = createHash('sha256').update(name).digest('hex');
  const meta = join(home, '.docker', 'contexts', 'meta', id);
  mkdirSync(meta, { recursive: true });
  writeFileSync(
    join(meta, 'meta.json'),
    JSON.stringify({
      Name: name,
      Metadata: { Description: options.description ?? '' },
      Endpoints: { docker: { Host: host, SkipTLSVerify: !!options.skipTls } },
    }),
  );
  if (options.tls) {
    const tls = join(home, '.docker', 'contexts', 'tls', id, 'docker');
    mkdirSync(tls, { recursive: true });
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(tls, f), 'x');
  }
  return id;
}

function setCurrentContext(name: string): void {
  mkdirSync(join(home, '.docker'), { recursive: true });
  writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ auths: {}, currentContext: name }));
}

const none = () => false;

describe('discoverEngines', () => {
  it('finds nothing on a bare machine', () => {
    expect(discoverEngines({ env: {}, home, exists: none, platform: 'linux' })).toEqual([]);
  });

  it('follows the docker CLI order: DOCKER_HOST, context, Desktop, default, rootless, Podman', async () => {
    const runtime = join(home, 'run');
    await socketAt(join(home, '.docker', 'run', 'docker.sock'));
    await socketAt(join(runtime, 'docker.sock'));
    await socketAt(join(runtime, 'podman', 'podman.sock'));
    writeContext('colima', `unix://${home}/.colima/default/docker.sock`);
    setCurrentContext('colima');
    const exists = (p: string) => p === '/var/run/docker.sock' || p.startsWith(home);
    const found = discoverEngines({
      env: { DOCKER_HOST: 'tcp://10.0.0.5:2375', XDG_RUNTIME_DIR: runtime },
      home,
      exists,
      platform: 'linux',
    });
    expect(found.map((c) => [c.source, c.host])).toEqual([
      ['DOCKER_HOST', 'tcp://10.0.0.5:2375'],
      ['context', `unix://${home}/.colima/default/docker.sock`],
      ['docker-desktop', `unix://${home}/.docker/run/docker.sock`],
      ['default-socket', 'unix:///var/run/docker.sock'],
      ['rootless-docker', `unix://${runtime}/docker.sock`],
      ['podman', `unix://${runtime}/podman/podman.sock`],
    ]);
    expect(found[1]).toMatchObject({ context: 'colima', foundBy: 'docker context "colima"' });
  });

  it('lists a socket only when it exists (real files, default check)', async () => {
    const runtime = join(home, 'run');
    await socketAt(join(runtime, 'podman', 'podman.sock'));
    const found = discoverEngines({ env: { XDG_RUNTIME_DIR: runtime }, home, platform: 'linux' });
    const hosts = found.map((c) => c.host);
    expect(hosts).toContain(`unix://${runtime}/podman/podman.sock`);
    expect(hosts).not.toContain(`unix://${runtime}/docker.sock`);
    expect(hosts).not.toContain(`unix://${home}/.docker/run/docker.sock`);
  });

  it('DOCKER_CONTEXT wins over currentContext, and DOCKER_CONFIG moves the config dir', () => {
    const config = join(home, 'elsewhere');
    const id = createHash('sha256').update('remote').digest('hex');
    mkdirSync(join(config, 'contexts', 'meta', id), { recursive: true });
    writeFileSync(
      join(config, 'contexts', 'meta', id, 'meta.json'),
      JSON.stringify({ Name: 'remote', Endpoints: { docker: { Host: 'ssh://me@build-box' } } }),
    );
    writeFileSync(join(config, 'config.json'), JSON.stringify({ currentContext: 'other' }));
    const found = discoverEngines({ env: { DOCKER_CONFIG: config, DOCKER_CONTEXT: 'remote' }, home, exists: none, platform: 'linux' });
    expect(found).toEqual([{ host: 'ssh://me@build-box', source: 'context', foundBy: 'docker context "remote"', context: 'remote' }]);
  });

  it('the "default" context adds nothing beyond DOCKER_HOST and sockets', () => {
    setCurrentContext('default');
    expect(discoverEngines({ env: {}, home, exists: none, platform: 'linux' })).toEqual([]);
  });

  it('reads TLS settings of DOCKER_HOST and of a context', () => {
    const fromEnv = discoverEngines({
      env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
      home,
      exists: none,
      platform: 'linux',
    });
    expect(fromEnv[0].tls).toEqual({ caPath: '/certs/ca.pem', certPath: '/certs/cert.pem', keyPath: '/certs/key.pem', verify: true });

    const id = writeContext('secure', 'tcp://h:2376', { tls: true, skipTls: true });
    setCurrentContext('secure');
    const [ctx] = discoverEngines({ env: {}, home, exists: none, platform: 'linux' });
    const dir = join(home, '.docker', 'contexts', 'tls', id, 'docker');
    expect(ctx.tls).toEqual({ caPath: join(dir, 'ca.pem'), certPath: join(dir, 'cert.pem'), keyPath: join(dir, 'key.pem'), verify: false });
  });

  it('offers the named pipe on Windows and no unix sockets', () => {
    const found = discoverEngines({ env: {}, home, exists: () => true, platform: 'win32' });
    expect(found).toEqual([{ host: 'npipe:////./pipe/docker_engine', source: 'npipe', foundBy: 'Docker Desktop named pipe' }]);
  });

  it('drops duplicates, keeping the first way it was found', () => {
    const found = discoverEngines({
      env: { DOCKER_HOST: 'unix:///var/run/docker.sock' },
      home,
      exists: (p) => p === '/var/run/docker.sock',
      platform: 'linux',
    });
    expect(found).toEqual([{ host: 'unix:///var/run/docker.sock', source: 'DOCKER_HOST', foundBy: '$DOCKER_HOST' }]);
  });
});

describe('listContexts and selections', () => {
  it('lists default first, then contexts by name, marking the current one', () => {
    writeContext('zeta', 'tcp://z:2375', { description: 'last' });
    writeContext('colima', 'unix:///c.sock');
    setCurrentContext('colima');
    expect(listContexts({ env: {}, home, platform: 'linux' })).toEqual([
      { name: 'default', host: 'unix:///var/run/docker.sock', description: 'Current DOCKER_HOST based configuration', current: false },
      { name: 'colima', host: 'unix:///c.sock', description: undefined, current: true },
      { name: 'zeta', host: 'tcp://z:2375', description: 'last', current: false },
    ]);
  });

  it('turns a typed host into a user candidate and rejects a bad scheme clearly', () => {
    const options = { env: {}, home, exists: none, platform: 'linux' as const };
    expect(selectionCandidates({ host: '/tmp/x.sock' }, options)).toEqual([{ host: 'unix:///tmp/x.sock', source: 'user', foundBy: 'chosen by you' }]);
    expect(selectionCandidates({ host: 'example.test:2375' }, options)[0].host).toBe('tcp://example.test:2375');
    expect(() => selectionCandidates({ host: 'http://x:2375' }, options)).toThrow(/scheme "http:\/\/" is not supported.*unix:\/\//);
    expect(() => selectionCandidates({ context: 'nope' }, options)).toThrow(/docker context "nope" does not exist/);
  });
});

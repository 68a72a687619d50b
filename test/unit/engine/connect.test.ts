import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  apiVersionOf,
  compareApiVersions,
  connectEngine,
  connectFirst,
  createDocker,
  describeConnectError,
  dockerOptions,
  engineName,
  negotiateApiVersion,
  newestApiVersion,
} from '../../../src-main/core/engine/connect';
import type { EngineCandidate } from '../../../src-main/core/engine/types';
import { TransportContext } from '../../../src-main/core/transport/open';

const unix = (path: string): EngineCandidate => ({ host: `unix://${path}`, source: 'user', foundBy: 'test' });

describe('API version negotiation', () => {
  it('compares versions numerically', () => {
    expect(compareApiVersions('1.9', '1.41')).toBe(-1);
    expect(compareApiVersions('1.41', '1.41')).toBe(0);
    expect(compareApiVersions('1.47', '1.41')).toBe(1);
  });

  it('talks the older of engine and client, never below the engine minimum', () => {
    expect(negotiateApiVersion('1.41', '1.12')).toBe('1.41');
    expect(negotiateApiVersion('1.51', '1.44')).toBe(newestApiVersion);
    expect(negotiateApiVersion('1.51', '1.44', '1.43')).toBe('1.44');
    expect(negotiateApiVersion(undefined)).toBeUndefined();
    expect(negotiateApiVersion('garbage')).toBeUndefined();
  });
});

describe('dockerOptions', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'lighter-connect-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('maps each address kind', () => {
    expect(dockerOptions(unix('/x.sock'))).toEqual({ socketPath: '/x.sock' });
    expect(dockerOptions({ host: 'npipe:////./pipe/docker_engine', source: 'npipe', foundBy: '' })).toEqual({
      socketPath: '//./pipe/docker_engine',
    });
    expect(dockerOptions({ host: 'tcp://box:2375', source: 'user', foundBy: '' })).toEqual({ protocol: 'http', host: 'box', port: 2375 });
    expect(dockerOptions({ host: 'ssh://me@box', source: 'user', foundBy: '' }, { SSH_AUTH_SOCK: '/agent' })).toEqual({
      protocol: 'ssh',
      host: 'box',
      port: 22,
      username: 'me',
      sshOptions: { agent: '/agent' },
    });
  });

  it('puts TLS files into an https agent, and names a missing file', () => {
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, f), `${f}-content`);
    const tls = { caPath: join(dir, 'ca.pem'), certPath: join(dir, 'cert.pem'), keyPath: join(dir, 'key.pem'), verify: false };
    const options = dockerOptions({ host: 'tcp://box', source: 'DOCKER_HOST', foundBy: '', tls });
    expect(options).toMatchObject({ protocol: 'https', host: 'box', port: 2376 });
    const agentOptions = (options.agent as { options: Record<string, unknown> }).options;
    expect(String(agentOptions.ca)).toBe('ca.pem-content');
    expect(agentOptions.rejectUnauthorized).toBe(false);
    expect(() => dockerOptions({ host: 'tcp://box', source: 'DOCKER_HOST', foundBy: '', tls: { ...tls, keyPath: join(dir, 'none.pem') } })).toThrow(
      /cannot read TLS file .*none\.pem/,
    );
  });

  it('ignores DOCKER_HOST of this process when building a Dockerode for a candidate', () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'tcp://not-this-one:1';
    try {
      const docker = createDocker(unix('/picked.sock'));
      expect((docker.modem as { socketPath?: string; host?: string }).socketPath).toBe('/picked.sock');
      expect((docker.modem as { host?: string }).host).toBeUndefined();
      expect(process.env.DOCKER_HOST).toBe('tcp://not-this-one:1');
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
});

describe('engine names and error messages', () => {
  const c = (context?: string, host = 'unix:///var/run/docker.sock'): EngineCandidate => ({ host, source: 'context', foundBy: '', context });

  it('tells engines apart', () => {
    expect(engineName({ Components: [{ Name: 'Podman Engine' }] }, undefined, c())).toBe('Podman');
    expect(engineName({ Platform: { Name: 'Docker Desktop 4.30.0 (1)' } }, undefined, c())).toBe('Docker Desktop');
    expect(engineName({}, { OperatingSystem: 'Docker Desktop' }, c())).toBe('Docker Desktop');
    expect(engineName({}, undefined, c('colima'))).toBe('Colima');
    expect(engineName({}, undefined, c(undefined, 'unix:///Users/me/.colima/default/docker.sock'))).toBe('Colima');
    expect(engineName({ Platform: { Name: 'Docker Engine - Community' } }, undefined, c())).toBe('Docker Engine');
  });

  it('explains connection failures with the host and what to do', () => {
    const cand = unix('/var/run/docker.sock');
    expect(describeConnectError({ code: 'ENOENT' }, cand)).toBe('no engine socket at /var/run/docker.sock');
    expect(describeConnectError({ code: 'ECONNREFUSED' }, cand)).toMatch(/nothing is listening at unix:\/\/\/var\/run\/docker\.sock/);
    expect(describeConnectError({ code: 'EACCES' }, cand)).toMatch(/permission denied on \/var\/run\/docker\.sock: add your user to the "docker" group/);
    expect(describeConnectError({ name: 'AbortError' }, cand)).toMatch(/no answer from .* within 3 s/);
  });
});

describe('connecting (fake engine for versions this machine cannot run)', () => {
  let dir: string;
  let server: Server | undefined;
  const seen: string[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lighter-connect-'));
    seen.length = 0;
  });
  afterEach(async () => {
    if (server) await new Promise((r) => server!.close(r));
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** `ping`: the headers of its answer to HEAD /_ping; without, it answers 404 there. */
  async function fakeEngine(version: Record<string, unknown>, ping?: Record<string, string>): Promise<string> {
    const path = join(dir, 'fake.sock');
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      if (req.url === '/_ping' && ping) res.writeHead(200, ping).end();
      else if (req.url?.endsWith('/version')) res.end(JSON.stringify(version));
      else if (req.url?.endsWith('/info')) res.end(JSON.stringify({ OperatingSystem: 'Fake OS' }));
      else if (req.url?.includes('/images/json')) res.end('[]');
      else res.writeHead(404).end('{"message":"nope"}');
    });
    await new Promise<void>((r) => server!.listen(path, r));
    return path;
  }

  it('asks /version and /info unversioned, then pins the negotiated version on every request', async () => {
    const path = await fakeEngine({ Version: '29.0.0', ApiVersion: '1.52', MinAPIVersion: '1.44', Os: 'linux', Arch: 'arm64' });
    const { docker, info } = await connectEngine(unix(path));
    expect(seen.slice(0, 2).sort()).toEqual(['/info', '/version']);
    expect(info).toMatchObject({ name: 'Docker Engine', version: '29.0.0', apiVersion: newestApiVersion, minApiVersion: '1.44', os: 'linux', arch: 'arm64', operatingSystem: 'Fake OS' });
    expect(apiVersionOf(docker)).toBe(newestApiVersion);
    await docker.listImages();
    expect(seen.at(-1)).toMatch(new RegExp(`^/v${newestApiVersion}/images/json`));
  });

  it('asks /version and /info at the same time', async () => {
    const path = join(dir, 'together.sock');
    // This engine answers neither until both questions are in: asked one after the other, the connect times out.
    const waiting: (() => void)[] = [];
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      const body = req.url?.endsWith('/version') ? { Version: '20.10.24', ApiVersion: '1.41', MinAPIVersion: '1.12' } : { OperatingSystem: 'Both OS' };
      waiting.push(() => res.end(JSON.stringify(body)));
      if (waiting.length === 2) waiting.forEach((answer) => answer());
    });
    await new Promise<void>((r) => server!.listen(path, r));
    const { info } = await connectEngine(unix(path), { timeoutMs: 1000 });
    expect(seen.sort()).toEqual(['/info', '/version']);
    expect(info).toMatchObject({ version: '20.10.24', apiVersion: '1.41', operatingSystem: 'Both OS' });
  });

  it('without identify only pings, as the docker CLI does, and talks the version the ping names', async () => {
    const path = await fakeEngine({ Version: '20.10.24', ApiVersion: '1.41', MinAPIVersion: '1.12', Os: 'linux', Arch: 'amd64' }, { 'API-Version': '1.41', OSType: 'linux' });
    const { docker: pinged, info } = await connectEngine(unix(path), { identify: false });
    expect(seen).toEqual(['/_ping']);
    expect(info).toMatchObject({ name: 'Docker Engine', version: 'unknown', apiVersion: '1.41', os: 'linux' });
    expect(info.operatingSystem).toBeUndefined();
    await pinged.listImages();
    expect(seen.at(-1)).toMatch(/^\/v1\.41\/images\/json/);

    // Copies open the engine this way: they only move images.
    seen.length = 0;
    const access = await new TransportContext({ env: { DOCKER_HOST: `unix://${path}`, HOME: dir } }).engine();
    expect(seen).toEqual(['/_ping']);
    expect(access.endpoint).toMatchObject({ socketPath: path, version: 'v1.41' });
    // Their dockerode, made only when something needs it, talks the pinged version too.
    await access.docker.listImages();
    expect(seen.at(-1)).toMatch(/^\/v1\.41\/images\/json/);
    expect(apiVersionOf(access.docker)).toBe('1.41');
  });

  it('without identify: a newer engine is talked to in our newest version; Podman is named from its ping', async () => {
    const path = await fakeEngine({}, { 'API-Version': '1.52', 'Libpod-API-Version': '5.4.0' });
    const { docker, info } = await connectEngine(unix(path), { identify: false });
    expect(apiVersionOf(docker)).toBe(newestApiVersion);
    expect(info.name).toBe('Podman');
  });

  it('without identify: a missing engine is reported as with identify', async () => {
    const error = await connectEngine(unix(join(dir, 'missing.sock')), { identify: false }).catch((e) => e);
    expect(error).toMatchObject({ code: 'ENGINE_UNREACHABLE', message: `Cannot reach the engine at unix://${dir}/missing.sock: no engine socket at ${dir}/missing.sock` });
  });

  it('without identify: an engine that refuses the ping is asked /version instead', async () => {
    const path = await fakeEngine({ Version: '20.10.24', ApiVersion: '1.40', MinAPIVersion: '1.12' });
    const { docker, info } = await connectEngine(unix(path), { identify: false });
    expect(seen).toEqual(['/_ping', '/version']);
    expect(info).toMatchObject({ version: '20.10.24', apiVersion: '1.40' });
    expect(apiVersionOf(docker)).toBe('1.40');
  });

  it('fails with ENGINE_UNREACHABLE naming the host, and lists every attempt', async () => {
    const notListening = join(dir, 'plain-file.sock');
    writeFileSync(notListening, '');
    const attempts: { error: string }[] = [];
    const error = await connectFirst([unix(join(dir, 'missing.sock')), unix(notListening)], { attempts: attempts as never }).catch((e) => e);
    expect(error.code).toBe('ENGINE_UNREACHABLE');
    expect(attempts.map((a) => a.error)).toEqual([
      `Cannot reach the engine at unix://${dir}/missing.sock: no engine socket at ${dir}/missing.sock`,
      `Cannot reach the engine at unix://${notListening}: nothing is listening at unix://${notListening} (connection refused)`,
    ]);
    expect(error.message).toMatch(/^No container engine reachable: unix:\/\/.*missing\.sock: no engine socket/);
  });

  it('gives up on a silent engine after the connect timeout', async () => {
    const path = join(dir, 'silent.sock');
    server = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => server!.listen(path, r));
    const started = Date.now();
    const error = await connectEngine(unix(path), { timeoutMs: 300 }).catch((e) => e);
    expect(error.code).toBe('ENGINE_UNREACHABLE');
    expect(error.message).toMatch(/no answer from/);
    expect(Date.now() - started).toBeLessThan(2000);
    server.closeAllConnections();
  });
});

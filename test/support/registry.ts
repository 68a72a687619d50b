/**
 * Throwaway registries for tests: Debian's `docker-registry` (distribution 2.8) on 127.0.0.1.
 *
 *   const registry = await startRegistry();        // anonymous, plain http
 *   registry.host  → "127.0.0.1:40123"             // use in references: `${registry.host}/app:v1`
 *   await registry.stop();                          // in afterAll
 *
 * Options: auth 'htpasswd' (Basic, user/pass below) or 'token' (Bearer tokens from a token server
 * started here), tls (self-signed CA; `caFile` to trust). Call `registryAvailable()` first to skip
 * (or fail in CI) when the binary is missing.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveBinary, freePort, openssl } from './registry-tools';
import { type TokenServer, startTokenServer } from './token-server';

export const registryBinary = '/usr/bin/docker-registry';

export interface RegistryOptions {
  auth?: 'none' | 'htpasswd' | 'token';
  tls?: boolean;
  /** Users for htpasswd/token auth as `{ username: password }`; default `defaultUser`. */
  users?: Record<string, string>;
  /** Token auth: let anonymous callers pull. */
  anonymousPull?: boolean;
  /** Token auth: identity (refresh) tokens the token server accepts, as `{ token: account }`. */
  refreshTokens?: Record<string, string>;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT` — the registry part of image references. */
  host: string;
  /** `http://127.0.0.1:PORT` (https with tls). */
  url: string;
  /** Storage and config folder. */
  dir: string;
  username?: string;
  password?: string;
  /** With tls: the CA certificate that signed the registry's certificate. */
  caFile?: string;
  tokenServer?: TokenServer;
  stop(): Promise<void>;
}

export const defaultUser = { username: 'tester', password: 's3cret-Pa55word' };

/** Whether the registry binary is here (throws in CI when it is not; warns otherwise). */
export function registryAvailable(): boolean {
  return haveBinary(registryBinary, 'install the Debian package docker-registry to run registry tests');
}

/** A CA and a server certificate for 127.0.0.1/localhost, signed by it. */
export function makeTlsFiles(dir: string): { caFile: string; certFile: string; keyFile: string } {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Lighter Test CA'], dir);
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext'], dir);
  return { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') };
}

function waitReady(url: string, ca: string | undefined, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`docker-registry exited (${child.exitCode}): ${log()}`));
      if (Date.now() > deadline) return reject(new Error(`docker-registry did not become ready: ${log()}`));
      const get = url.startsWith('https') ? httpsGet : httpGet;
      const req = get(`${url}/v2/`, ca ? { ca } : {}, (res) => {
        res.resume();
        if (res.statusCode === 200 || res.statusCode === 401) resolve();
        else setTimeout(attempt, 100);
      });
      req.on('error', () => setTimeout(attempt, 100));
    };
    attempt();
  });
}

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'lighter-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const users = options.users ?? { [defaultUser.username]: defaultUser.password };
  const [username, password] = Object.entries(users)[0] ?? [];
  const auth = options.auth ?? 'none';
  let tokenServer: TokenServer | undefined;
  let tls: ReturnType<typeof makeTlsFiles> | undefined;

  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    '  secret: lighter-test-secret',
  ];
  if (options.tls) {
    tls = makeTlsFiles(dir);
    lines.push('  tls:', `    certificate: ${tls.certFile}`, `    key: ${tls.keyFile}`);
  }
  if (auth === 'htpasswd') {
    const entries = Object.entries(users).map(([u, p]) => execFileSync('htpasswd', ['-Bbn', u, p], { encoding: 'utf8' }).trim());
    writeFileSync(join(dir, 'htpasswd'), entries.join('\n') + '\n');
    lines.push('auth:', '  htpasswd:', '    realm: lighter-test', `    path: ${join(dir, 'htpasswd')}`);
  }
  if (auth === 'token') {
    tokenServer = await startTokenServer(dir, { users, anonymousPull: options.anonymousPull, refreshTokens: options.refreshTokens });
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${tokenServer.realm}`,
      `    service: ${tokenServer.service}`,
      `    issuer: ${tokenServer.issuer}`,
      `    rootcertbundle: ${tokenServer.certFile}`,
    );
  }
  writeFileSync(join(dir, 'config.yml'), lines.join('\n') + '\n');

  const child = spawn(registryBinary, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString('utf8')).slice(-4000);
  });
  const url = `${options.tls ? 'https' : 'http'}://${host}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await tokenServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, tls ? readFileSync(tls.caFile, 'utf8') : undefined, child, () => stderr);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    host,
    url,
    dir,
    username: auth === 'none' ? undefined : username,
    password: auth === 'none' ? undefined : password,
    caFile: tls?.caFile,
    tokenServer,
    stop,
  };
}

export { buildImage, pushTestImage, pushTestIndex, tarWithFile, type BuiltImage, type PushedImage, type PushedIndex } from './registry-image';

import { PassThrough } from 'node:stream';
import { runCli } from '../../src-main/cli/main';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReference } from '../../src-main/core/ref/reference';
import { RegistryClient } from '../../src-main/core/registry/client';
import { getManifest } from '../../src-main/core/registry/manifests';
import { fetchBlob } from '../../src-main/core/registry/blobs';
import { HttpTransport } from '../../src-main/core/registry/http';
import { runCliCaptured } from '../support/cli';
import { type TestRegistry, defaultUser, pushTestImage, registryAvailable, startRegistry } from '../support/registry';
import { haveBinary } from '../support/registry-tools';

const available = registryAvailable() && haveBinary('openssl', 'needed to make test certificates') && haveBinary('htpasswd', 'install apache2-utils');
const creds = { username: defaultUser.username, password: defaultUser.password };
const secretForms = [defaultUser.password, Buffer.from(`${defaultUser.username}:${defaultUser.password}`).toString('base64')];

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function expectNoSecret(...texts: string[]): void {
  for (const text of texts) for (const secret of secretForms) expect(text).not.toContain(secret);
}

async function drain(stream: NodeJS.ReadableStream): Promise<number> {
  let n = 0;
  for await (const c of stream) n += (c as Buffer).length;
  return n;
}

describe.skipIf(!available)('Basic auth (htpasswd)', () => {
  let registry: TestRegistry;
  let config: string;
  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd' });
    config = tempDir('lighter-docker-config-');
  });
  afterAll(async () => {
    await registry?.stop();
    if (config) rmSync(config, { recursive: true, force: true });
  });

  it('requires credentials, rejects wrong ones, works with right ones', async () => {
    const anonymous = new RegistryClient({ credentials: async () => undefined });
    const wrong = new RegistryClient({ credentials: async () => ({ username: creds.username, password: 'wrong' }) });
    try {
      const pushed = await pushTestImage(registry.host, 'basic/app', 'v1', { client: { credentials: async () => creds } });
      const ref = parseReference(pushed.ref);
      await expect(getManifest(anonymous, ref, 'v1')).rejects.toMatchObject({ code: 'AUTH_REQUIRED' });
      await expect(getManifest(wrong, ref, 'v1')).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    } finally {
      await anonymous.close();
      await wrong.close();
    }
  });

  it('lighter login checks, stores base64 in config.json, and logout forgets; the password never shows', async () => {
    const env = { ...process.env, DOCKER_CONFIG: config };
    const bad = await runCliCaptured(['login', registry.host, '-u', creds.username, '--password-stdin'], env, 'not-the-password\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/incorrect username or password/);
    expect(readdirSync(config)).toEqual([]);

    const good = await runCliCaptured(['login', registry.host, '-u', creds.username, '--password-stdin'], env, `${creds.password}\n`);
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('Login Succeeded');
    const stored = JSON.parse(readFileSync(join(config, 'config.json'), 'utf8'));
    expect(stored.auths[registry.host].auth).toBe(secretForms[1]);

    await pushTestImage(registry.host, 'basic/cli', 'v1', { client: { credentials: async () => creds } });
    const manifest = await runCliCaptured(['manifest', `${registry.host}/basic/cli:v1`, '--json'], env);
    expect(manifest.code).toBe(0);
    expect(JSON.parse(manifest.stdout).kind).toBe('manifest');

    const out = await runCliCaptured(['logout', registry.host], env);
    expect(out.stdout).toContain('Removed login credentials');
    expect(JSON.parse(readFileSync(join(config, 'config.json'), 'utf8')).auths).toEqual({});
    const denied = await runCliCaptured(['manifest', `${registry.host}/basic/cli:v1`], env);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/authentication required/);
    expectNoSecret(bad.stdout, bad.stderr, good.stdout, good.stderr, manifest.stdout, manifest.stderr, out.stdout, out.stderr, denied.stderr);
  });

  it('lighter login on a terminal asks for the user and the password, and echoes neither secret', async () => {
    const env = { ...process.env, DOCKER_CONFIG: config };
    // A terminal: the user types each answer after its prompt appears.
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let shown = '';
    stdout.on('data', (chunk: Buffer) => {
      const before = shown;
      shown += chunk.toString();
      if (!before.includes('Username: ') && shown.includes('Username: ')) stdin.write(`${creds.username}\n`);
      if (!before.includes('Password: ') && shown.includes('Password: ')) stdin.write(`${creds.password}\n`);
    });
    let errors = '';
    stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const code = await runCli(['login', registry.host], { stdin, stdout, stderr, env });
    const prompted = { code, stdout: shown, stderr: errors };
    expect(prompted.stderr).toBe('');
    expect(prompted.code).toBe(0);
    expect(prompted.stdout).toContain('Username: ');
    expect(prompted.stdout).toContain('Password: ');
    expect(prompted.stdout).toContain('Login Succeeded');
    expectNoSecret(prompted.stdout, prompted.stderr);
    const notTerminal = await runCliCaptured(['login', registry.host, '-u', creds.username], env, `${creds.password}\n`);
    expect(notTerminal.code).toBe(2);
    expect(notTerminal.stderr).toContain('--password-stdin');
    await runCliCaptured(['logout', registry.host], env);
  });
});

const identityToken = 'lighter-test-identity-token-4f1d9c';

describe.skipIf(!available)('Bearer tokens (own token server, real registry)', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ auth: 'token', refreshTokens: { [identityToken]: creds.username } });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('runs the whole token flow, caches tokens per scope, and refuses anonymous pulls', async () => {
    const pushed = await pushTestImage(registry.host, 'tok/app', 'v1', { layers: 3, layerSize: 1000, client: { credentials: async () => creds } });
    const pushScopes = registry.tokenServer!.requests.filter((r) => r.authenticated).flatMap((r) => r.scopes);
    expect(pushScopes).toContain('repository:tok/app:pull,push');

    const client = new RegistryClient({ credentials: async () => creds });
    const ref = parseReference(pushed.ref);
    const before = registry.tokenServer!.requests.length;
    await getManifest(client, ref, 'v1');
    for (const layer of pushed.manifest.layers) expect(await drain(fetchBlob(client, ref, layer))).toBe(layer.size);
    // One token for repository:tok/app:pull, reused for the manifest and all three blobs.
    expect(registry.tokenServer!.requests.length - before).toBe(1);
    await client.close();

    const anonymous = new RegistryClient({ credentials: async () => undefined });
    await expect(getManifest(anonymous, ref, 'v1')).rejects.toMatchObject({ code: 'AUTH_REQUIRED' });
    await anonymous.close();
    const wrong = new RegistryClient({ credentials: async () => ({ username: creds.username, password: 'nope' }) });
    await expect(getManifest(wrong, ref, 'v1')).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    await wrong.close();
  });

  it('lighter login verifies against the token server', async () => {
    const config = tempDir('lighter-docker-config-');
    try {
      const env = { ...process.env, DOCKER_CONFIG: config };
      const bad = await runCliCaptured(['login', registry.host, '-u', creds.username, '--password-stdin'], env, 'wrong');
      expect(bad.code).toBe(1);
      const good = await runCliCaptured(['login', registry.host, '-u', creds.username, '--password-stdin'], env, creds.password);
      expect(good.code).toBe(0);
      const tags = await runCliCaptured(['tags', `${registry.host}/tok/app`, '--json'], env);
      expect(JSON.parse(tags.stdout)).toEqual({ name: `${registry.host}/tok/app`, tags: ['v1'] });
      const digest = await runCliCaptured(['digest', `${registry.host}/tok/app:v1`], env);
      expect(digest.stdout).toMatch(/^sha256:[a-f0-9]{64}\n$/);
      expectNoSecret(bad.stdout, bad.stderr, good.stdout, good.stderr, tags.stdout, tags.stderr, digest.stdout, digest.stderr);
    } finally {
      rmSync(config, { recursive: true, force: true });
    }
  });

  it('an identity token stored by docker (config.json identitytoken) goes as an OAuth2 refresh-token POST', async () => {
    const config = tempDir('lighter-docker-config-');
    try {
      await pushTestImage(registry.host, 'tok/identity', 'v1', { layers: 1, layerSize: 500, client: { credentials: async () => creds } });
      const env = { ...process.env, DOCKER_CONFIG: config };
      const write = (token: string) => writeFileSync(join(config, 'config.json'), JSON.stringify({ auths: { [registry.host]: { identitytoken: token } } }));
      write(identityToken);
      const before = registry.tokenServer!.requests.length;
      const tags = await runCliCaptured(['tags', `${registry.host}/tok/identity`, '--json'], env);
      expect(tags.stderr).toBe('');
      expect(JSON.parse(tags.stdout)).toEqual({ name: `${registry.host}/tok/identity`, tags: ['v1'] });
      const asked = registry.tokenServer!.requests.slice(before);
      expect(asked).toEqual([{ scopes: ['repository:tok/identity:pull'], account: creds.username, authenticated: true, refreshToken: true }]);
      write('a-revoked-identity-token');
      const refused = await runCliCaptured(['tags', `${registry.host}/tok/identity`, '--json'], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/rejected the credentials/);
      for (const out of [tags.stdout, tags.stderr, refused.stdout, refused.stderr]) {
        expect(out).not.toContain(identityToken);
        expect(out).not.toContain('a-revoked-identity-token');
      }
    } finally {
      rmSync(config, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!available)('credential helpers (credHelpers)', () => {
  let registry: TestRegistry;
  let home: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd' });
    home = tempDir('lighter-helper-');
    const bin = join(home, 'bin');
    const store = join(home, 'store');
    mkdirSync(bin);
    mkdirSync(store);
    // A helper speaking docker's protocol, keeping secrets in files named after the server URL.
    writeFileSync(
      join(bin, 'docker-credential-test'),
      [
        '#!/bin/sh',
        'echo "$1" >> "$HELPER_STORE/calls.log"',
        'key() { printf %s "$1" | tr -c "a-zA-Z0-9" "_"; }',
        'case "$1" in',
        '  get) read -r url || true; f="$HELPER_STORE/$(key "$url")"; [ -f "$f" ] || { echo "credentials not found in native keychain"; exit 1; }; cat "$f" ;;',
        '  store) cat > "$HELPER_STORE/incoming"; url=$(sed -n \'s/.*"ServerURL":"\\([^"]*\\)".*/\\1/p\' "$HELPER_STORE/incoming"); mv "$HELPER_STORE/incoming" "$HELPER_STORE/$(key "$url")" ;;',
        '  erase) read -r url || true; f="$HELPER_STORE/$(key "$url")"; [ -f "$f" ] || exit 1; rm "$f" ;;',
        'esac',
        '',
      ].join('\n'),
    );
    chmodSync(join(bin, 'docker-credential-test'), 0o755);
    mkdirSync(join(home, 'docker'));
    writeFileSync(join(home, 'docker', 'config.json'), JSON.stringify({ credHelpers: { [registry.host]: 'test' } }));
    env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, DOCKER_CONFIG: join(home, 'docker'), HELPER_STORE: store };
  });
  afterAll(async () => {
    await registry?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('login stores through the helper, pulls read from it, logout erases it', async () => {
    const store = env.HELPER_STORE!;
    const login = await runCliCaptured(['login', registry.host, '-u', creds.username, '--password-stdin'], env, creds.password);
    expect(login.stderr).toBe('');
    expect(login.code).toBe(0);
    const config = JSON.parse(readFileSync(join(env.DOCKER_CONFIG!, 'config.json'), 'utf8'));
    expect(config.auths[registry.host]).toEqual({}); // no secret in config.json
    const saved = readdirSync(store).filter((f) => f !== 'calls.log');
    expect(saved).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(store, saved[0]), 'utf8'))).toEqual({ ServerURL: registry.host, Username: creds.username, Secret: creds.password });

    await pushTestImage(registry.host, 'helper/app', 'v1', { client: { credentials: async () => creds } });
    const manifest = await runCliCaptured(['manifest', `${registry.host}/helper/app:v1`], env);
    expect(manifest.code).toBe(0);

    const logout = await runCliCaptured(['logout', registry.host], env);
    expect(logout.code).toBe(0);
    expect(readdirSync(store).filter((f) => f !== 'calls.log')).toEqual([]);
    expect(readFileSync(join(store, 'calls.log'), 'utf8').split('\n').filter(Boolean)).toEqual(['store', 'get', 'erase']);
    const after = await runCliCaptured(['manifest', `${registry.host}/helper/app:v1`], env);
    expect(after.code).toBe(1);
    expectNoSecret(login.stdout, login.stderr, manifest.stdout, manifest.stderr, logout.stdout, logout.stderr, after.stdout, after.stderr);
  });
});

describe.skipIf(!available)('TLS with a private CA', () => {
  let registry: TestRegistry;
  let pushedRef: string;
  beforeAll(async () => {
    registry = await startRegistry({ tls: true });
    const pushed = await pushTestImage(registry.host, 'tls/app', 'v1', { client: { caPath: registry.caFile, credentials: async () => undefined } });
    pushedRef = pushed.ref;
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('refuses an untrusted certificate, and never falls back to http for it', async () => {
    const client = new RegistryClient({ credentials: async () => undefined, certsDir: '/nonexistent', env: {} });
    const ref = parseReference(pushedRef);
    await expect(getManifest(client, ref, 'v1')).rejects.toMatchObject({ code: 'NETWORK', message: expect.stringMatching(/certificate .* not trusted/) });
    await client.close();
  });

  it('reads blobs over TLS on their own connections, where an untrusted certificate is refused too', async () => {
    const client = new RegistryClient({ caPath: registry.caFile, credentials: async () => undefined, env: {} });
    const ref = parseReference(pushedRef);
    const { document } = await getManifest(client, ref, 'v1');
    if (document.kind !== 'manifest') throw new Error(`expected an image manifest, got ${document.kind}`);
    for (const layer of document.manifest.layers) expect(await drain(fetchBlob(client, ref, layer))).toBe(layer.size);
    await client.close();
    const untrusted = new HttpTransport();
    await expect(untrusted.send({ method: 'GET', bulk: true, url: `https://${registry.host}/v2/` })).rejects.toMatchObject({ code: 'NETWORK', message: expect.stringMatching(/certificate .* not trusted/) });
    await untrusted.close();
  });

  it('trusts the CA from LIGHTER_REGISTRY_CA and from a certs.d folder', async () => {
    const viaEnv = await runCliCaptured(['digest', pushedRef], { ...process.env, LIGHTER_REGISTRY_CA: registry.caFile });
    expect(viaEnv.stderr).toBe('');
    expect(viaEnv.stdout).toMatch(/^sha256:/);
    const certsDir = tempDir('lighter-certs-');
    try {
      mkdirSync(join(certsDir, registry.host));
      copyFileSync(registry.caFile!, join(certsDir, registry.host, 'ca.crt'));
      const viaDir = await runCliCaptured(['digest', pushedRef], { ...process.env, LIGHTER_REGISTRY_CA: '', LIGHTER_CERTS_DIR: certsDir });
      expect(viaDir.stdout).toBe(viaEnv.stdout);
    } finally {
      rmSync(certsDir, { recursive: true, force: true });
    }
  });
});

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eraseCredentials, getCredentials, storeCredentials } from '../../../src-main/core/registry/credentials';

let dir: string;
const env = () => ({ DOCKER_CONFIG: dir, PATH: process.env.PATH });
const write = (config: unknown) => writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('docker config credentials', () => {
  it('reads auths by registry, Docker Hub under its index URL, and identity tokens', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lighter-creds-'));
    write({
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw:with:colons').toString('base64') },
        'localhost:5000': { auth: Buffer.from('local:pw').toString('base64') },
        'https://secure.example': { identitytoken: 'refresh-me' },
      },
    });
    expect(await getCredentials('docker.io', env())).toEqual({ username: 'hub', password: 'pw:with:colons' });
    expect(await getCredentials('localhost:5000', env())).toEqual({ username: 'local', password: 'pw' });
    expect(await getCredentials('secure.example', env())).toEqual({ identityToken: 'refresh-me', username: undefined });
    expect(await getCredentials('nowhere.example', env())).toBeUndefined();
  });

  it('is empty without a config file, and fails clearly on a broken one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lighter-creds-'));
    expect(await getCredentials('docker.io', env())).toBeUndefined();
    writeFileSync(join(dir, 'config.json'), '{broken');
    await expect(getCredentials('docker.io', env())).rejects.toThrow(/not valid JSON/);
  });

  it('stores base64 auth (file mode 600), keeps other settings, and erases', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lighter-creds-'));
    write({ auths: {}, detachKeys: 'ctrl-x' });
    await storeCredentials('docker.io', { username: 'u', password: 'p' }, env());
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config.auths['https://index.docker.io/v1/'].auth).toBe(Buffer.from('u:p').toString('base64'));
    expect(config.detachKeys).toBe('ctrl-x');
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
    expect(await eraseCredentials('docker.io', env())).toBe(true);
    expect(await eraseCredentials('docker.io', env())).toBe(false);
    expect(await getCredentials('docker.io', env())).toBeUndefined();
  });

  it('reports a missing credential helper clearly', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lighter-creds-'));
    write({ credsStore: 'does-not-exist-anywhere' });
    await expect(getCredentials('docker.io', env())).rejects.toMatchObject({ code: 'AUTH_FAILED', message: expect.stringContaining('is not installed') });
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allowsPlainHttp, apiHost, credentialKey, extraCaFor, hostName } from '../../../src-main/core/registry/hosts';
import { loginDomain } from '../../../src-main/core/registry/login';

const dir = mkdtempSync(join(tmpdir(), 'lighter-hosts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('registry hosts', () => {
  it('maps Docker Hub to its API host and credential key', () => {
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('quay.io')).toBe('quay.io');
    expect(credentialKey('docker.io')).toBe('https://index.docker.io/v1/');
    expect(credentialKey('localhost:5000')).toBe('localhost:5000');
  });

  it('allows plain http for loopback and listed hosts only', () => {
    expect(hostName('[::1]:5000')).toBe('::1');
    expect(hostName('example.com:443')).toBe('example.com');
    for (const h of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000']) expect(allowsPlainHttp(h, { env: {} })).toBe(true);
    expect(allowsPlainHttp('registry.lan:5000', { env: {} })).toBe(false);
    expect(allowsPlainHttp('registry.lan:5000', { env: { LIGHTER_INSECURE_REGISTRIES: 'other, registry.lan:5000' } })).toBe(true);
    expect(allowsPlainHttp('registry.lan:5000', { env: {}, insecureRegistries: ['registry.lan'] })).toBe(true);
  });

  it('finds extra CAs in LIGHTER_REGISTRY_CA and the certs.d convention', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n';
    mkdirSync(join(dir, 'certs.d', 'reg.lan:5000'), { recursive: true });
    writeFileSync(join(dir, 'certs.d', 'reg.lan:5000', 'ca.crt'), pem);
    writeFileSync(join(dir, 'extra.pem'), pem);
    expect(extraCaFor('other.lan', { env: {}, certsDir: join(dir, 'certs.d') })).toBeUndefined();
    expect(extraCaFor('reg.lan:5000', { env: {}, certsDir: join(dir, 'certs.d') })).toContain(pem);
    expect(extraCaFor('other.lan', { env: { LIGHTER_REGISTRY_CA: join(dir, 'extra.pem') }, certsDir: '/nonexistent' })).toContain(pem);
    expect(() => extraCaFor('x', { env: { LIGHTER_REGISTRY_CA: join(dir, 'missing.pem') } })).toThrow(/No CA certificate/);
  });

  it('normalizes login targets like docker', () => {
    expect(loginDomain(undefined)).toBe('docker.io');
    expect(loginDomain('https://index.docker.io/v1/')).toBe('docker.io');
    expect(loginDomain('http://localhost:5000/')).toBe('localhost:5000');
  });
});

import { describe, expect, it } from 'vitest';
import { hostPlatform, isAttestation, normalizePlatform, parsePlatform, platformString, selectPlatformManifest } from '../../../src-main/core/image/platform';
import type { Descriptor, Platform } from '../../../src-main/core/image/types';

const entry = (platform: Platform, extra: Partial<Descriptor> = {}): Descriptor => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${platformString(platform).replace(/[^a-z0-9]/g, '').padEnd(64, '0').slice(0, 64)}`,
  size: 100,
  platform,
  ...extra,
});

describe('platforms', () => {
  it('normalizes architecture spellings and default variants', () => {
    expect(normalizePlatform({ os: 'linux', architecture: 'aarch64' })).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(normalizePlatform({ os: 'linux', architecture: 'x86_64' })).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(normalizePlatform({ os: 'linux', architecture: 'arm' })).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(normalizePlatform({ os: 'linux', architecture: 'armhf' })).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(parsePlatform('linux/arm/6')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v6' });
    expect(() => parsePlatform('linux')).toThrow(/os\/architecture/);
    expect(() => parsePlatform('linux/amd64/v2/x')).toThrow();
  });

  it('maps the host to a Linux platform as docker does', () => {
    expect(hostPlatform('x64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(hostPlatform('arm64')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(hostPlatform().os).toBe('linux');
  });

  it('recognizes attestation entries', () => {
    expect(isAttestation(entry({ os: 'unknown', architecture: 'unknown' }))).toBe(true);
    expect(isAttestation(entry({ os: 'linux', architecture: 'amd64' }, { annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } }))).toBe(true);
    expect(isAttestation(entry({ os: 'linux', architecture: 'amd64' }))).toBe(false);
  });

  it('selects the right entry, skipping attestations and honoring variants', () => {
    const amd = entry({ os: 'linux', architecture: 'amd64' });
    const arm64 = entry({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    const armv6 = entry({ os: 'linux', architecture: 'arm', variant: 'v6' });
    const armv7 = entry({ os: 'linux', architecture: 'arm', variant: 'v7' });
    const att = entry({ os: 'unknown', architecture: 'unknown' });
    const list = [att, amd, arm64, armv6, armv7];
    expect(selectPlatformManifest(list, { os: 'linux', architecture: 'amd64' })).toBe(amd);
    expect(selectPlatformManifest(list, { os: 'linux', architecture: 'arm64' })).toBe(arm64);
    expect(selectPlatformManifest(list, parsePlatform('linux/arm/v7'))).toBe(armv7);
    expect(selectPlatformManifest(list, parsePlatform('linux/arm/v6'))).toBe(armv6);
    // A v7 machine runs v6 code when no v7 image exists.
    expect(selectPlatformManifest([amd, armv6], parsePlatform('linux/arm/v7'))).toBe(armv6);
    // arm64 without variant in the index still matches arm64/v8.
    const bareArm64 = entry({ os: 'linux', architecture: 'arm64' });
    expect(selectPlatformManifest([amd, bareArm64], parsePlatform('linux/arm64/v8'))).toBe(bareArm64);
    expect(() => selectPlatformManifest([att, amd], parsePlatform('linux/s390x'))).toThrow(/No image for platform linux\/s390x \(available: linux\/amd64\)/);
    expect(() => selectPlatformManifest([att], parsePlatform('linux/amd64'))).toThrow(/available: none/);
  });
});

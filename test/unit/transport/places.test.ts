import { describe, expect, it } from 'vitest';
import { parsePlace, splitPathAndRef, transportOf } from '../../../src-main/core/transport/places';

describe('places', () => {
  it('parses every transport', () => {
    expect(parsePlace('docker://busybox')).toMatchObject({ transport: 'docker', ref: { domain: 'docker.io', path: 'library/busybox', tag: 'latest' } });
    expect(parsePlace('docker-daemon:app:1')).toMatchObject({ transport: 'docker-daemon', name: 'app:1' });
    expect(parsePlace('docker-daemon:sha256:' + 'a'.repeat(64))).toMatchObject({ name: 'sha256:' + 'a'.repeat(64) });
    expect(parsePlace('docker-archive:/tmp/a.tar')).toEqual({ transport: 'docker-archive', path: '/tmp/a.tar', text: 'docker-archive:/tmp/a.tar' });
    expect(parsePlace('docker-archive:/tmp/a.tar:busybox:1')).toMatchObject({ path: '/tmp/a.tar', ref: 'busybox:1' });
    expect(parsePlace('docker-archive:a.tar:localhost:5000/team/app:v2')).toMatchObject({ path: 'a.tar', ref: 'localhost:5000/team/app:v2' });
    expect(parsePlace('docker-archive:a.tar:@1')).toMatchObject({ path: 'a.tar', ref: '@1' });
    expect(parsePlace('oci-archive:out.tar:v1.0-RC')).toMatchObject({ transport: 'oci-archive', path: 'out.tar', ref: 'v1.0-RC' });
    expect(parsePlace('oci:/data/layout:latest')).toMatchObject({ transport: 'oci', path: '/data/layout', ref: 'latest' });
    expect(parsePlace('store:busybox:1')).toMatchObject({ transport: 'store', ref: 'busybox:1' });
  });

  it('keeps Windows drive letters and existing paths with colons whole', () => {
    expect(splitPathAndRef('C:\\images\\a.tar')).toEqual({ path: 'C:\\images\\a.tar' });
    expect(splitPathAndRef('C:\\images\\a.tar:app:1')).toEqual({ path: 'C:\\images\\a.tar', ref: 'app:1' });
    expect(splitPathAndRef('/mnt/x:y/a.tar', { exists: (p) => p === '/mnt/x:y/a.tar' })).toEqual({ path: '/mnt/x:y/a.tar' });
    // What follows the ':' must parse as a reference to be one.
    expect(splitPathAndRef('/tmp/a.tar:Not A Ref')).toEqual({ path: '/tmp/a.tar:Not A Ref' });
  });

  it('refuses unknown transports and bad references with clear errors', () => {
    expect(() => parsePlace('busybox:1')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/names no transport/) }));
    expect(() => parsePlace('docker://team/Upper')).toThrow(expect.objectContaining({ code: 'REF_INVALID' }));
    expect(() => parsePlace('store:')).toThrow(expect.objectContaining({ code: 'REF_INVALID' }));
    expect(() => parsePlace('docker-archive:')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => parsePlace('docker-daemon:')).toThrow(expect.objectContaining({ code: 'REF_INVALID' }));
  });

  it('tells plain engine names from places', () => {
    expect(transportOf('localhost:5000/app:1')).toBeUndefined();
    expect(transportOf('busybox')).toBeUndefined();
    expect(transportOf('docker:latest')).toBeUndefined();
    expect(transportOf('docker://busybox')).toBe('docker');
    expect(transportOf('store:x')).toBe('store');
  });
});

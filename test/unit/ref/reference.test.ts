import { describe, expect, it } from 'vitest';
import { LighterError } from '../../../src-main/core/errors';
import {
  canonicalString,
  familiarName,
  isValidTag,
  manifestReference,
  normalizeForPull,
  parseReference,
  withDigest,
  withTag,
} from '../../../src-main/core/ref/reference';

const d64 = 'sha256:' + 'a'.repeat(64);

// input → [domain, path, tag, digest, familiar]  (as docker normalizes, before adding latest)
const valid: Array<[string, string, string, string | undefined, string | undefined, string]> = [
  ['ubuntu', 'docker.io', 'library/ubuntu', undefined, undefined, 'ubuntu'],
  ['ubuntu:22.04', 'docker.io', 'library/ubuntu', '22.04', undefined, 'ubuntu:22.04'],
  ['library/ubuntu', 'docker.io', 'library/ubuntu', undefined, undefined, 'ubuntu'],
  ['docker.io/ubuntu', 'docker.io', 'library/ubuntu', undefined, undefined, 'ubuntu'],
  ['docker.io/library/ubuntu:x', 'docker.io', 'library/ubuntu', 'x', undefined, 'ubuntu:x'],
  ['index.docker.io/ubuntu', 'docker.io', 'library/ubuntu', undefined, undefined, 'ubuntu'],
  ['index.docker.io/user/app:1', 'docker.io', 'user/app', '1', undefined, 'user/app:1'],
  ['user/app', 'docker.io', 'user/app', undefined, undefined, 'user/app'],
  ['library/a/b', 'docker.io', 'library/a/b', undefined, undefined, 'library/a/b'],
  ['localhost/app', 'localhost', 'app', undefined, undefined, 'localhost/app'],
  ['localhost:5000/app:v1', 'localhost:5000', 'app', 'v1', undefined, 'localhost:5000/app:v1'],
  ['127.0.0.1:5000/a/b/c', '127.0.0.1:5000', 'a/b/c', undefined, undefined, '127.0.0.1:5000/a/b/c'],
  ['[::1]:5000/app:tag', '[::1]:5000', 'app', 'tag', undefined, '[::1]:5000/app:tag'],
  ['[2001:db8::1]/app', '[2001:db8::1]', 'app', undefined, undefined, '[2001:db8::1]/app'],
  ['registry.example.com/team/app', 'registry.example.com', 'team/app', undefined, undefined, 'registry.example.com/team/app'],
  ['example:5000/app', 'example:5000', 'app', undefined, undefined, 'example:5000/app'],
  // An uppercase first component can only be a host, as docker decides.
  ['Example/app', 'Example', 'app', undefined, undefined, 'Example/app'],
  // No slash: "localhost:5000" is docker.io/library/localhost with tag 5000, as in docker.
  ['localhost:5000', 'docker.io', 'library/localhost', '5000', undefined, 'localhost:5000'],
  [`ubuntu@${d64}`, 'docker.io', 'library/ubuntu', undefined, d64, `ubuntu@${d64}`],
  [`ubuntu:22.04@${d64}`, 'docker.io', 'library/ubuntu', '22.04', d64, `ubuntu:22.04@${d64}`],
  [`localhost:5000/app@${d64}`, 'localhost:5000', 'app', undefined, d64, `localhost:5000/app@${d64}`],
  ['a_b__c-d--e/f.g', 'docker.io', 'a_b__c-d--e/f.g', undefined, undefined, 'a_b__c-d--e/f.g'],
  // A first component with a dot is a host, so underscores there are invalid (below).
  ['app:UPPER_tag.1-2', 'docker.io', 'library/app', 'UPPER_tag.1-2', undefined, 'app:UPPER_tag.1-2'],
  ['app:_x', 'docker.io', 'library/app', '_x', undefined, 'app:_x'],
  ['app:' + 'a'.repeat(128), 'docker.io', 'library/app', 'a'.repeat(128), undefined, 'app:' + 'a'.repeat(128)],
];

// input → a fragment of the error message
const invalidCases: Array<[string, string]> = [
  ['', 'empty'],
  ['Ubuntu', 'must be lowercase'],
  ['user/App', 'must be lowercase'],
  ['localhost:5000/App', 'must be lowercase'],
  ['ubuntu:', 'tag after ":" is empty'],
  ['ubuntu:-x', 'tag "-x" is invalid'],
  ['ubuntu:.x', 'tag ".x" is invalid'],
  ['ubuntu:a+b', 'tag "a+b" is invalid'],
  ['app:' + 'a'.repeat(129), 'is invalid'],
  ['ubuntu@', 'digest after "@" is empty'],
  ['ubuntu@sha256:abc', 'not of the form'],
  ['ubuntu@sha256:' + 'a'.repeat(63), 'must have 64 hex'],
  ['ubuntu@sha256:' + 'A'.repeat(64), 'lowercase hex'],
  ['ubuntu@md5:' + 'a'.repeat(32), 'not supported'],
  ['a'.repeat(64), 'image ID'],
  ['-app', 'is invalid'],
  ['app-', 'is invalid'],
  ['a//b', 'empty path component'],
  ['a/', 'empty path component'],
  ['/a', 'empty path component'],
  ['a_b.c/d', 'registry host "a_b.c" is invalid'],
  ['localhost:5000/', 'path is empty'],
  ['a...b', 'is invalid'],
  ['a___b', 'is invalid'],
  ['exa_mple.com/app', 'registry host "exa_mple.com" is invalid'],
  ['-bad.com/app', 'registry host'],
  ['example.com:port/app', 'registry host'],
  ['ubu ntu', 'whitespace'],
  [':tag', 'repository name is empty'],
  ['example.com/' + 'a'.repeat(250), 'more than 255 characters'],
];

describe('parseReference', () => {
  it.each(valid)('parses %s', (input, domain, path, tag, digest, familiar) => {
    const ref = parseReference(input);
    expect(ref).toMatchObject({ input, domain, path, name: `${domain}/${path}`, tag, digest, familiar, tagImplied: false });
  });

  it.each(invalidCases)('rejects %j', (input, fragment) => {
    let error: unknown;
    try {
      parseReference(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LighterError);
    expect((error as LighterError).code).toBe('REF_INVALID');
    expect((error as LighterError).message).toContain(fragment);
  });

  it('accepts a name of exactly 255 characters including the domain', () => {
    const path = 'a'.repeat(255 - 'example.com/'.length);
    expect(parseReference(`example.com/${path}`).name).toHaveLength(255);
    expect(() => parseReference(`example.com/${path}a`)).toThrow(/255/);
  });

  it('counts docker.io/library/ in the length limit, as docker does', () => {
    const longest = 'a'.repeat(255 - 'docker.io/library/'.length);
    expect(() => parseReference(longest)).not.toThrow();
    expect(() => parseReference(longest + 'a')).toThrow(/255/);
  });
});

describe('normalizeForPull', () => {
  it('adds latest when neither tag nor digest is given, and says so', () => {
    const ref = normalizeForPull(parseReference('ubuntu'));
    expect(ref).toMatchObject({ tag: 'latest', tagImplied: true, familiar: 'ubuntu:latest' });
    expect(canonicalString(ref)).toBe('docker.io/library/ubuntu:latest');
  });

  it('leaves explicit tags and digests alone', () => {
    expect(normalizeForPull(parseReference('ubuntu:22.04'))).toMatchObject({ tag: '22.04', tagImplied: false });
    const pinned = normalizeForPull(parseReference(`ubuntu@${d64}`));
    expect(pinned.tag).toBeUndefined();
    expect(manifestReference(pinned)).toBe(d64);
  });
});

describe('helpers', () => {
  it('familiarName drops docker.io and library only where docker does', () => {
    expect(familiarName({ domain: 'docker.io', path: 'library/ubuntu' })).toBe('ubuntu');
    expect(familiarName({ domain: 'docker.io', path: 'user/app' })).toBe('user/app');
    expect(familiarName({ domain: 'docker.io', path: 'library/a/b' })).toBe('library/a/b');
    expect(familiarName({ domain: 'quay.io', path: 'library/x' })).toBe('quay.io/library/x');
  });

  it('isValidTag follows the tag grammar', () => {
    expect(isValidTag('latest')).toBe(true);
    expect(isValidTag('v1.2.3-rc_1')).toBe(true);
    expect(isValidTag('a'.repeat(128))).toBe(true);
    expect(isValidTag('a'.repeat(129))).toBe(false);
    expect(isValidTag('.hidden')).toBe(false);
    expect(isValidTag('a:b')).toBe(false);
    expect(isValidTag('')).toBe(false);
  });

  it('withTag and withDigest rebuild the familiar form', () => {
    const ref = parseReference('localhost:5000/app:old');
    expect(withTag(ref, 'new').familiar).toBe('localhost:5000/app:new');
    expect(withDigest(ref, d64).familiar).toBe(`localhost:5000/app:old@${d64}`);
    expect(() => withTag(ref, 'bad tag')).toThrow(LighterError);
  });
});

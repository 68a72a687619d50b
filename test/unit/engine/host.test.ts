import { describe, expect, it } from 'vitest';
import { normalizeUserHost, parseEngineHost } from '../../../src-main/core/engine/host';

describe('parseEngineHost', () => {
  it('takes every scheme the docker CLI takes', () => {
    expect(parseEngineHost('unix:///var/run/docker.sock')).toEqual({ kind: 'unix', socketPath: '/var/run/docker.sock' });
    expect(parseEngineHost('tcp://10.1.2.3:2376')).toEqual({ kind: 'tcp', hostname: '10.1.2.3', port: 2376 });
    expect(parseEngineHost('tcp://box')).toEqual({ kind: 'tcp', hostname: 'box', port: 2375 });
    expect(parseEngineHost('tcp://box', true)).toEqual({ kind: 'tcp', hostname: 'box', port: 2376 });
    expect(parseEngineHost('tcp://[::1]:2375')).toEqual({ kind: 'tcp', hostname: '::1', port: 2375 });
    expect(parseEngineHost('ssh://me@box:2222')).toEqual({ kind: 'ssh', hostname: 'box', port: 2222, username: 'me' });
    expect(parseEngineHost('ssh://box')).toEqual({ kind: 'ssh', hostname: 'box', port: 22, username: undefined });
    expect(parseEngineHost('npipe:////./pipe/docker_engine')).toEqual({ kind: 'npipe', pipePath: '//./pipe/docker_engine' });
  });

  it('says what is wrong and what would be right', () => {
    expect(() => parseEngineHost('')).toThrow(/is empty/);
    expect(() => parseEngineHost('/var/run/docker.sock')).toThrow(/has no scheme/);
    expect(() => parseEngineHost('fd://')).toThrow(/scheme "fd:\/\/" is not supported \(use unix:\/\//);
    expect(() => parseEngineHost('unix://relative.sock')).toThrow(/must be absolute/);
    expect(() => parseEngineHost('tcp://box:2375/path')).toThrow(/path after the host/);
    expect(() => parseEngineHost('http://x')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('normalizes what a person types', () => {
    expect(normalizeUserHost(' /run/docker.sock ')).toBe('unix:///run/docker.sock');
    expect(normalizeUserHost('box:2375')).toBe('tcp://box:2375');
    expect(normalizeUserHost('ssh://me@box')).toBe('ssh://me@box');
    expect(() => normalizeUserHost('box')).toThrow(/no scheme/);
  });
});

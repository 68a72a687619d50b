/**
 * Copies that break half-way, through the fault proxy in front of a real registry: the destination
 * must stay consistent — no partial file under a final name, the store's index unchanged.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runBuiltCli } from '../support/cli';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { type PushedImage, pushTestImage, registryAvailable, startRegistry, type TestRegistry } from '../support/registry';

const hasRegistry = registryAvailable();
const dir = mkdtempSync(join(tmpdir(), 'lighter-faults-it-'));
const storeDir = join(dir, 'store');
const env = { HOME: dir, LIGHTER_STORE: storeDir, DOCKER_HOST: `unix://${join(dir, 'none.sock')}` };
let registry: TestRegistry;
let proxy: FaultProxy;
let kept: PushedImage;
let image: PushedImage;
const blobGet = /^GET \/v2\/faults\/app\/blobs\/sha256:/;

function storeState(): { index: string; blobs: string[] } {
  const blobs = readdirSync(join(storeDir, 'blobs', 'sha256')).sort();
  for (const name of blobs) {
    expect(name).toMatch(/^[a-f0-9]{64}$/);
    expect(createHash('sha256').update(readFileSync(join(storeDir, 'blobs', 'sha256', name))).digest('hex')).toBe(name);
  }
  return { index: readFileSync(join(storeDir, 'index.json'), 'utf8'), blobs };
}

beforeAll(async () => {
  if (!hasRegistry) return;
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.host);
  kept = await pushTestImage(registry.host, 'faults/kept', 'v1', { layers: 1, layerSize: 50_000 });
  image = await pushTestImage(registry.host, 'faults/app', 'v1', { layers: 4, layerSize: 400_000 });
  const first = await runBuiltCli(['copy', `docker://${proxy.host}/faults/kept:v1`, 'store:kept:v1'], env);
  expect(first.code).toBe(0);
  expect(first.stdout.trim()).toBe(kept.manifestDigest);
});
beforeEach(() => proxy?.clear());
afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasRegistry)('faults during a copy', () => {
  it('a corrupted blob fails the copy into the store; index and blobs stay as they were', async () => {
    const before = storeState();
    proxy.inject({ match: blobGet, fault: { kind: 'corrupt', atByte: 1000 }, times: Infinity });
    const result = await runBuiltCli(['copy', `docker://${proxy.host}/faults/app:v1`, 'store:app:v1'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^lighter copy: .*(digest|mismatch)/i);
    const after = storeState();
    expect(after.index).toBe(before.index);
    // Only whole, verified blobs may have arrived (the store's gc collects them); nothing partial.
    expect(after.blobs.filter((b) => !before.blobs.includes(b)).every((b) => image.blobs.has(`sha256:${b}`))).toBe(true);
  });

  it('a corrupted blob fails an archive copy (parallel, staged) with no file and no temporary left', async () => {
    proxy.inject({ match: blobGet, fault: { kind: 'corrupt', atByte: 300_000 }, times: Infinity });
    const stageDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('lighter-stage-')).sort();
    const staged = stageDirs();
    const tar = join(dir, 'app.tar');
    const result = await runBuiltCli(['copy', `docker://${proxy.host}/faults/app:v1`, `docker-archive:${tar}`], env);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(tar)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('partial'))).toEqual([]);
    expect(stageDirs()).toEqual(staged);
  });

  it('a broken connection is resumed and the copy completes with the right digest', async () => {
    const before = storeState();
    proxy.inject({ match: blobGet, fault: { kind: 'reset', afterBytes: 150_000 }, times: 2 });
    const result = await runBuiltCli(['copy', `docker://${proxy.host}/faults/app:v1`, 'store:app:v1'], env);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(image.manifestDigest);
    expect(storeState().index).not.toBe(before.index);
    const listed = JSON.parse((await runBuiltCli(['images', '--store', '--json'], env)).stdout);
    expect(listed.map((i: { familiar: string }) => i.familiar)).toEqual(['app:v1', 'kept:v1']);
  });
});

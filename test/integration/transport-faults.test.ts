/**
 * Copies that break half-way, through the fault proxy in front of a real registry: the destination
 * must stay consistent — no partial file under a final name, the store's index unchanged.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { builtCliPath, runBuiltCli } from '../support/cli';
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
/** Layers big enough for an archive to check them from its file, behind the writes. */
let big: PushedImage;
const blobGet = /^GET \/v2\/faults\/app\/blobs\/sha256:/;
const bigBlobGet = /^GET \/v2\/faults\/big\/blobs\/sha256:/;

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
  big = await pushTestImage(registry.host, 'faults/big', 'v1', { layers: 2, layerSize: 1_500_000 });
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

  it('a corrupted big layer fails an archive copy (checked from the file) with no file left', async () => {
    proxy.inject({ match: bigBlobGet, fault: { kind: 'corrupt', atByte: 1_200_000 }, times: Infinity });
    const tar = join(dir, 'big-corrupt.tar');
    const result = await runBuiltCli(['copy', `docker://${proxy.host}/faults/big:v1`, `docker-archive:${tar}`], env);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^lighter copy: Digest mismatch for blob: expected sha256:[a-f0-9]{64}, got sha256:[a-f0-9]{64}$/);
    expect(existsSync(tar)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('partial'))).toEqual([]);
  });

  it('a broken connection is resumed in an archive copy, and every layer lands whole', async () => {
    proxy.inject({ match: bigBlobGet, fault: { kind: 'reset', afterBytes: 900_000 }, times: 2 });
    const tar = join(dir, 'big.tar');
    const result = await runBuiltCli(['copy', `docker://${proxy.host}/faults/big:v1`, `docker-archive:${tar}`], env);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(big.manifestDigest);
    expect(proxy.log.filter((e) => e.range).length).toBeGreaterThan(0);
    for (const layer of big.manifest.layers) {
      const bytes = execFileSync('tar', ['-xOf', tar, `blobs/sha256/${layer.digest.slice(7)}`], { maxBuffer: 8 << 20 });
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(layer.digest.slice(7));
    }
  });

  /** Starts a copy that stalls mid-blob, signals it once stalled; resolves its exit code and stderr. */
  async function interrupted(destination: string, signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string }> {
    proxy.inject({ match: blobGet, fault: { kind: 'stall', afterBytes: 100_000 }, times: Infinity });
    const child = spawn(process.execPath, [builtCliPath, 'copy', `docker://${proxy.host}/faults/app:v1`, destination], { env: { PATH: process.env.PATH, ...env } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    for (let waited = 0; !proxy.log.some((e) => e.fault === 'stall' && e.bytes === 100_000); waited += 20) {
      if (waited > 20_000) throw new Error('the copy never reached the stalled blob');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill(signal);
    return { code: await exited, stderr };
  }

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s in the middle of an archive copy: "Cancelled", no archive and no temporary file left', async (signal) => {
    const tar = join(dir, `interrupted-${signal}.tar`);
    const before = readdirSync(dir).sort();
    const { code, stderr } = await interrupted(`docker-archive:${tar}`, signal);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('lighter copy: Cancelled');
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('SIGTERM in the middle of a copy into the store: "Cancelled", the index unchanged, no partial blob', async () => {
    const before = storeState();
    const { code, stderr } = await interrupted('store:app:v1', 'SIGTERM');
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('lighter copy: Cancelled');
    const after = storeState();
    expect(after.index).toBe(before.index);
    expect(after.blobs.filter((b) => !before.blobs.includes(b)).every((b) => image.blobs.has(`sha256:${b}`))).toBe(true);
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

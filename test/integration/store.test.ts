/**
 * The embedded store with no engine around (DOCKER_HOST names a socket that does not exist):
 * filled from a real registry by several `lighter` processes at once, listed, inspected, exported,
 * removed and garbage-collected.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltCli } from '../support/cli';
import { type PushedImage, pushTestImage, registryAvailable, startRegistry, type TestRegistry } from '../support/registry';

const hasRegistry = registryAvailable();
const dir = mkdtempSync(join(tmpdir(), 'lighter-store-it-'));
const storeDir = join(dir, 'store');
const env = { HOME: dir, LIGHTER_STORE: storeDir, DOCKER_HOST: `unix://${join(dir, 'no-engine.sock')}` };
let registry: TestRegistry;
let first: PushedImage;
let second: PushedImage;

async function lighter(...argv: string[]) {
  const result = await runBuiltCli(argv, env);
  if (result.code !== 0) throw new Error(`lighter ${argv.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** Every blob under its final name hashes to that name; nothing half-written is left. */
export function checkLayoutBlobs(layoutDir: string): string[] {
  const blobs = join(layoutDir, 'blobs', 'sha256');
  const names = readdirSync(blobs);
  for (const name of names) {
    expect(name).toMatch(/^[a-f0-9]{64}$/);
    expect(createHash('sha256').update(readFileSync(join(blobs, name))).digest('hex')).toBe(name);
  }
  return names;
}

beforeAll(async () => {
  if (!hasRegistry) return;
  registry = await startRegistry();
  first = await pushTestImage(registry.host, 'store/first', 'v1', { layers: 3, layerSize: 300_000 });
  second = await pushTestImage(registry.host, 'store/second', 'v1', { layers: 2, layerSize: 300_000 });
});
afterAll(async () => {
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasRegistry)('the store without an engine', () => {
  it('the engine really is unreachable for these commands', async () => {
    const result = await runBuiltCli(['images'], env);
    expect(result.code).toBe(1);
  });

  it('three lighter processes copy into the store at once; none is lost and no blob is torn', async () => {
    const results = await Promise.all([
      runBuiltCli(['copy', `docker://${first.ref}`, 'store:demo/first:v1'], env),
      runBuiltCli(['copy', `docker://${second.ref}`, 'store:demo/second:v1'], env),
      runBuiltCli(['copy', `docker://${first.ref}`, 'store:demo/first:again'], env),
    ]);
    for (const r of results) expect(r.stderr).toBe('');
    expect(results.map((r) => r.stdout.trim())).toEqual([first.manifestDigest, second.manifestDigest, first.manifestDigest]);
    const listed = JSON.parse(await lighter('images', '--store', '--json'));
    expect(listed.map((i: { reference: string }) => i.reference)).toEqual([
      `docker.io/demo/first:again`,
      `docker.io/demo/first:v1`,
      `docker.io/demo/second:v1`,
    ]);
    expect(checkLayoutBlobs(storeDir)).toHaveLength(4 + 3 + 2);
  });

  it('lists, inspects (also --raw) and exports to an archive that reads back the same', async () => {
    const table = await lighter('images', '--store');
    expect(table).toMatch(/^demo\/second\s+v1\s+/m);
    const described = JSON.parse(await lighter('inspect', '--json', 'store:demo/first:v1'));
    expect(described.digest).toBe(first.manifestDigest);
    expect(described.image.layers.map((l: { digest: string }) => l.digest)).toEqual(first.manifest.layers.map((l) => l.digest));
    expect(await lighter('inspect', '--raw', 'store:demo/first:v1')).toBe(first.manifestBytes.toString());
    const tar = join(dir, 'first.tar');
    expect((await lighter('copy', 'store:demo/first:v1', `docker-archive:${tar}`)).trim()).toBe(first.manifestDigest);
    const back = JSON.parse(await lighter('inspect', '--json', `docker-archive:${tar}:demo/first:v1`));
    expect(back.image.config.digest).toBe(first.manifest.config.digest);
    // Straight from the registry into an archive works without an engine as well.
    await lighter('copy', `docker://${second.ref}`, `docker-archive:${join(dir, 'second.tar')}`);
    expect(JSON.parse(await lighter('inspect', '--json', `docker-archive:${join(dir, 'second.tar')}`)).digest).toBe(second.manifestDigest);
  });

  it('store rm forgets a name; gc then frees only what no image reaches', async () => {
    await lighter('store', 'rm', 'demo/first:again');
    expect(JSON.parse(await lighter('store', 'gc', '--grace', '0', '--json')).removed).toEqual([]);
    await lighter('store', 'rm', 'demo/first:v1');
    const gc = JSON.parse(await lighter('store', 'gc', '--grace', '0', '--json'));
    expect(gc.removed).toHaveLength(5);
    expect(checkLayoutBlobs(storeDir)).toHaveLength(4);
    expect(JSON.parse(await lighter('inspect', '--json', 'store:demo/second:v1')).digest).toBe(second.manifestDigest);
    const missing = await runBuiltCli(['store', 'rm', 'demo/first:v1'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No image demo\/first:v1 in the store/);
  });
});

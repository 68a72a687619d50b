/**
 * Copies onto a disk that fills up part way, a real one (a small tmpfs): one clear error, nothing
 * left under a final name, no temporary files left behind, and the same copy succeeds once there
 * is room — nothing lost, nothing to clean up by hand.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltCli } from '../support/cli';
import { requireEngine, testDockerEnv } from '../support/engine';
import { SMALL } from '../support/fixtures';
import { type PushedImage, pushTestImage, registryAvailable, startRegistry, type TestRegistry } from '../support/registry';
import { smallDisk } from '../support/small-disk';

/** Room for a few hundred KB: the test image is ≈1.2 MB of incompressible layers. */
const tooSmall = 256 * 1024;
const roomy = 16 * 1024 * 1024;
const hasRegistry = registryAvailable();
const host = requireEngine();
const disk = hasRegistry ? smallDisk(tooSmall) : undefined;
let registry: TestRegistry;
let image: PushedImage;

const env = (extra: NodeJS.ProcessEnv = {}) => ({ HOME: disk!.path, DOCKER_HOST: 'unix:///nonexistent/docker.sock', ...extra });

/** Every file left on the disk, relative to it. */
function filesOn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** An empty disk of `tooSmall` bytes for the next test. */
function emptyAndSmall(): void {
  for (const name of readdirSync(disk!.path)) rmSync(join(disk!.path, name), { recursive: true, force: true });
  disk!.resize(tooSmall);
}

beforeAll(async () => {
  if (!disk) return;
  registry = await startRegistry();
  image = await pushTestImage(registry.host, 'full/app', 'v1', { layers: 3, layerSize: 400_000 });
});
afterAll(async () => {
  await registry?.stop();
  disk?.remove();
});

describe.skipIf(!disk)('a disk that fills up during a copy', () => {
  it('registry → docker-archive: NO_SPACE in one line naming the file, and nothing left on the disk', async () => {
    emptyAndSmall();
    const tar = join(disk!.path, 'app.tar');
    const result = await runBuiltCli(['copy', `docker://${image.ref}`, `docker-archive:${tar}`], env());
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^lighter copy: No space left while writing .*app\.tar/);
    expect(existsSync(tar)).toBe(false);
    expect(filesOn(disk!.path)).toEqual([]);
  });

  it('registry → store: NO_SPACE, the store keeps only whole blobs, and the copy succeeds once there is room', async () => {
    emptyAndSmall();
    const store = join(disk!.path, 'store');
    const failed = await runBuiltCli(['copy', `docker://${image.ref}`, 'store:app:v1'], env({ LIGHTER_STORE: store }));
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed.stderr).toMatch(/^lighter copy: No space left while writing .*store$/m);
    const listed = await runBuiltCli(['images', '--store', '--json'], env({ LIGHTER_STORE: store }));
    expect(JSON.parse(listed.stdout)).toEqual([]);

    disk!.resize(roomy);
    const copied = await runBuiltCli(['copy', `docker://${image.ref}`, 'store:app:v1'], env({ LIGHTER_STORE: store }));
    expect(copied.stderr).toBe('');
    expect(copied.stdout.trim()).toBe(image.manifestDigest);
    const blobs = join(store, 'blobs', 'sha256');
    for (const name of readdirSync(blobs)) {
      expect(createHash('sha256').update(readFileSync(join(blobs, name))).digest('hex')).toBe(name);
    }
    for (const digest of image.blobs.keys()) expect(existsSync(join(blobs, digest.slice('sha256:'.length)))).toBe(true);
    const after = await runBuiltCli(['images', '--store', '--json'], env({ LIGHTER_STORE: store }));
    expect(JSON.parse(after.stdout).map((i: { familiar: string }) => i.familiar)).toEqual(['app:v1']);
  });

  it.skipIf(!host)('engine → docker-archive: NO_SPACE, and nothing left on the disk', async () => {
    emptyAndSmall();
    const tar = join(disk!.path, 'saved.tar');
    const result = await runBuiltCli(['copy', `docker-daemon:${SMALL}`, `docker-archive:${tar}`], { ...testDockerEnv(host), HOME: disk!.path });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/No space left while writing .*saved\.tar/);
    expect(existsSync(tar)).toBe(false);
    expect(filesOn(disk!.path)).toEqual([]);
  });
});

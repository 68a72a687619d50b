/**
 * Archive → engine layer by layer, judged by a real engine: one load request per layer, lower layers
 * kept by temporary holding images that are gone afterwards; a layer found corrupt after others went
 * in, a cancel half way, or the engine's refusal leave the engine's images and layers as they were.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { accessOf } from '../../src-main/core/engine/connect';
import type { LighterError } from '../../src-main/core/errors';
import { ArchiveSource } from '../../src-main/core/transport/archive-source';
import { copyImage } from '../../src-main/core/transport/copy';
import { DaemonDestination } from '../../src-main/core/transport/daemon';
import { holdingLabel } from '../../src-main/core/transport/layered-load';
import { digestOf, writeLegacyArchive, makeImage, randomLayer, type FixtureImage } from '../support/archive-fixtures';
import { docker, dockerCli, requireEngine, testDockerEnv } from '../support/engine';

const host = requireEngine();
const dir = mkdtempSync(join(tmpdir(), 'lighter-layered-load-it-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const engine = async () => accessOf(new Docker({ socketPath: host.replace(/^unix:\/\//, '') }));

const writeArchive = (name: string, image: FixtureImage) => writeLegacyArchive(dir, name, image);

async function layers(count: number, bytes: number): Promise<Buffer[]> {
  return Promise.all(Array.from({ length: count }, () => randomLayer(2, bytes / 2)));
}

describe.skipIf(!host)('archive → engine layer by layer', () => {
  const env = testDockerEnv(host);
  const imageIds = async () => (await docker(env, 'images', '-a', '-q', '--no-trunc')).split('\n').filter(Boolean).sort();
  const holding = async () => (await docker(env, 'images', '-a', '-q', '--filter', `label=${holdingLabel}`)).split('\n').filter(Boolean);
  /** The engine's layer folders (its own engine, started by the tests, stores them with vfs). */
  const layerDirs = () => {
    const vfs = join(dirname(host.replace(/^unix:\/\//, '')), 'data', 'vfs', 'dir');
    return existsSync(vfs) ? readdirSync(vfs).sort() : [];
  };
  const now = () => (Date.now() / 1000).toFixed(3);
  const loads = async (since: string) =>
    (await docker(env, 'events', '--since', since, '--until', now(), '--filter', 'type=image', '--filter', 'event=load', '--format', '{{.Actor.ID}}')).split('\n').filter(Boolean);
  const remove = (name: string) => dockerCli(env, ['rmi', '-f', name]);
  const rootFs = async (name: string) => JSON.parse(await docker(env, 'image', 'inspect', '--format', '{{json .RootFS.Layers}}', name)) as string[];

  it('sends each layer in a load of its own, the image as its config says, and no holding image stays', async () => {
    for (const gzip of [false, true]) {
      const image = makeImage(`judge/layers:${gzip ? 'gz' : 'plain'}`, await layers(3, 1_000_000), { docker: true, gzip });
      const { path } = await writeArchive(`layers-${gzip}.tar`, image);
      await remove(image.name);
      const before = await imageIds();
      const since = now();
      const result = await copyImage(new ArchiveSource('a', path), new DaemonDestination(engine, image.name));
      expect(result.streamed).toBe(true);
      expect((await docker(env, 'image', 'inspect', '--format', '{{.Id}}', image.name)).trim()).toBe(image.configDigest);
      expect(await rootFs(image.name)).toEqual(image.layers.map((l) => l.diffID));
      // Two holding images, then the image itself: three loads.
      const loaded = await loads(since);
      expect(loaded).toHaveLength(3);
      expect(loaded.at(-1)).toBe(image.configDigest);
      expect(await holding()).toEqual([]);
      expect(await imageIds()).toEqual([...before, image.configDigest].sort());
      await remove(image.name);
    }
  });

  it('takes the layers the engine already has from it', async () => {
    const [a, b, c] = await layers(3, 200_000);
    const lower = makeImage('judge/lower:1', [a, b], { docker: true });
    const upper = makeImage('judge/upper:1', [a, b, c], { docker: true });
    await copyImage(new ArchiveSource('a', (await writeArchive('lower.tar', lower)).path), new DaemonDestination(engine, lower.name));
    await copyImage(new ArchiveSource('a', (await writeArchive('upper.tar', upper)).path), new DaemonDestination(engine, upper.name));
    expect((await docker(env, 'image', 'inspect', '--format', '{{.Id}}', upper.name)).trim()).toBe(upper.configDigest);
    expect(await rootFs(upper.name)).toEqual(upper.layers.map((l) => l.diffID));
    expect(await holding()).toEqual([]);
    await remove(upper.name);
    await remove(lower.name);
  });

  it('a layer found corrupt after the ones below it went in: DIGEST_MISMATCH, images and layers as before', async () => {
    const image = makeImage('judge/late-corrupt:1', await layers(3, 2_000_000), { docker: true });
    const { path, bytes } = await writeArchive('late-corrupt.tar', image);
    const last = image.layers[2].stored;
    bytes[bytes.indexOf(last.subarray(1_500_000, 1_500_032)) + 7] ^= 0x20;
    writeFileSync(path, bytes);
    const before = { images: await imageIds(), layers: layerDirs() };
    const since = now();
    const error = await copyImage(new ArchiveSource('a', path), new DaemonDestination(engine, image.name)).catch((e: unknown) => e);
    expect((error as LighterError).code).toBe('DIGEST_MISMATCH');
    // The two layers below went in, each held by an image of its own, removed since.
    expect((await loads(since)).length).toBeGreaterThan(0);
    expect(await loads(since)).not.toContain(image.configDigest);
    expect(await holding()).toEqual([]);
    expect(await imageIds()).toEqual(before.images);
    expect(layerDirs()).toEqual(before.layers);
  });

  it('a first layer whose bytes are wrong is reported as the archive\'s fault, not the engine\'s', async () => {
    // The engine refuses the first layer's load itself (its diffID is not the config's); the
    // archive's own check names the fault.
    const image = makeImage('judge/early-corrupt:1', await layers(2, 1_000_000), { docker: true });
    const { path, bytes } = await writeArchive('early-corrupt.tar', image);
    bytes[bytes.indexOf(image.layers[0].stored.subarray(600_000, 600_032)) + 3] ^= 0x01;
    writeFileSync(path, bytes);
    const before = { images: await imageIds(), layers: layerDirs() };
    const error = await copyImage(new ArchiveSource('a', path), new DaemonDestination(engine, image.name)).catch((e: unknown) => e);
    expect((error as LighterError).code).toBe('DIGEST_MISMATCH');
    expect(await holding()).toEqual([]);
    expect(await imageIds()).toEqual(before.images);
    expect(layerDirs()).toEqual(before.layers);
  });

  it("the engine's refusal of the image is a clear error and leaves no holding image", async () => {
    const good = makeImage('judge/refused-layers:1', await layers(2, 100_000), { docker: true });
    const config = JSON.parse(good.config.toString());
    config.os = 'windows';
    const configBytes = Buffer.from(JSON.stringify(config));
    const { path } = await writeArchive('refused-layers.tar', { ...good, config: configBytes, configDigest: digestOf(configBytes) });
    const before = await imageIds();
    const error = await copyImage(new ArchiveSource('a', path), new DaemonDestination(engine, good.name)).catch((e: unknown) => e);
    expect((error as LighterError).code).toBe('ENGINE_ERROR');
    expect((error as LighterError).message).toMatch(/^The engine refused the image: .*(operating system|windows)/i);
    expect(await holding()).toEqual([]);
    expect(await imageIds()).toEqual(before);
  });

  it('cancelling after some layers went in leaves the engine as it was', async () => {
    const image = makeImage('judge/layers-cancelled:1', await layers(4, 3 << 20), { docker: true });
    const { path } = await writeArchive('layers-cancel.tar', image);
    const before = { images: await imageIds(), layers: layerDirs() };
    const controller = new AbortController();
    // Past two of the four layers.
    const job = { progress: (p: { current?: number }) => (p.current ?? 0) > 7 << 20 && controller.abort(), item: () => undefined };
    const since = now();
    const error = await copyImage(new ArchiveSource('a', path), new DaemonDestination(engine, image.name), { job, signal: controller.signal }).catch((e: unknown) => e);
    expect((error as LighterError).code).toBe('CANCELLED');
    expect(await loads(since)).not.toContain(image.configDigest);
    // The engine gives up on a cut tar on its own time.
    await expect.poll(async () => ({ images: await imageIds(), layers: layerDirs() }), { timeout: 5000 }).toEqual(before);
    expect(await holding()).toEqual([]);
  });
});

/**
 * Archive → engine, judged by a real engine: a verified archive that already names the image goes
 * to `POST /images/load` as it is; a corrupted one is cut short before its end, so nothing loads
 * and nothing stays in the engine's temporary folder; the engine's own
 * refusal (an error line in a 200 reply) becomes a clear error; cancelling mid-upload loads nothing.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Docker from 'dockerode';
import { accessOf } from '../../src-main/core/engine/connect';
import { afterAll, describe, expect, it } from 'vitest';
import { LighterError } from '../../src-main/core/errors';
import { ArchiveSource } from '../../src-main/core/transport/archive-source';
import { copyImage } from '../../src-main/core/transport/copy';
import { DaemonDestination } from '../../src-main/core/transport/daemon';
import { digestOf, writeLegacyArchive, makeImage, ociArchive, randomLayer, type FixtureImage } from '../support/archive-fixtures';
import { runBuiltCli } from '../support/cli';
import { docker, dockerCli, requireEngine, testDockerEnv } from '../support/engine';

const host = requireEngine();
const dir = mkdtempSync(join(tmpdir(), 'lighter-engine-load-it-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const engine = async () => accessOf(new Docker({ socketPath: host.replace(/^unix:\/\//, '') }));

const writeArchive = (name: string, image: FixtureImage) => writeLegacyArchive(dir, name, image);

describe.skipIf(!host)('archive → engine', () => {
  const env = testDockerEnv(host);
  const imageIds = async () => (await docker(env, 'images', '-a', '-q', '--no-trunc')).split('\n').filter(Boolean).sort();
  const exists = async (name: string) => (await dockerCli(env, ['image', 'inspect', name])).code === 0;
  const now = () => (Date.now() / 1000).toFixed(3);
  /** IDs of the images the engine logged as loaded from `since` until now. */
  const loads = async (since: string) =>
    (await docker(env, 'events', '--since', since, '--until', now(), '--filter', 'type=image', '--filter', 'event=load', '--format', '{{.Actor.ID}}')).split('\n').filter(Boolean);
  const remove = (name: string) => dockerCli(env, ['rmi', '-f', name]);

  it('sends a verified archive that names the image as it is; the image ID is its config digest', async () => {
    const image = makeImage('judge/raw:1', [await randomLayer(3, 200_000), await randomLayer()], { docker: true, gzip: true });
    const { path } = await writeArchive('raw.tar', image);
    await remove('judge/raw:1');
    const since = now();
    const result = await copyImage(new ArchiveSource('a', path), new DaemonDestination(engine, 'judge/raw:1'));
    expect(result.streamed).toBe(true);
    expect((await docker(env, 'image', 'inspect', '--format', '{{.Id}}', 'judge/raw:1')).trim()).toBe(image.configDigest);
    expect(await loads(since)).toContain(image.configDigest);

    // Another name: re-written blob by blob, the same image.
    await remove('judge/raw:2');
    const renamed = await copyImage(new ArchiveSource('a', path), new DaemonDestination(engine, 'judge/raw:2'));
    expect(renamed.streamed).toBeUndefined();
    expect((await docker(env, 'image', 'inspect', '--format', '{{.Id}}', 'judge/raw:2')).trim()).toBe(image.configDigest);
    expect(await exists('judge/raw:1')).toBe(true);

    // The CLI takes the same path and prints the digest.
    await remove('judge/raw:1');
    const run = await runBuiltCli(['copy', `docker-archive:${path}`, 'docker-daemon:judge/raw:1'], { HOME: dir, DOCKER_HOST: host });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe(result.digest);
    expect(await exists('judge/raw:1')).toBe(true);
    await remove('judge/raw:1');
    await remove('judge/raw:2');
  });

  it('a corrupted archive never loads: the upload is cut before its end, the image list unchanged', async () => {
    // 20 MB with the flipped byte near the end: most of the file has gone out when the check fails
    // (the check may run a few MiB ahead of the upload, as far as the buffers between them reach).
    const image = makeImage('judge/corrupt:1', [await randomLayer(2, 10_000_000)], { docker: true });
    const { path, bytes } = await writeArchive('corrupt.tar', image);
    bytes[bytes.indexOf(image.layers[0].stored.subarray(19_500_000, 19_500_032))] ^= 0x20;
    writeFileSync(path, bytes);
    const before = await imageIds();
    const since = now();
    let sent = 0;
    const job = { progress: (p: { current?: number }) => (sent = p.current ?? sent), item: () => {} } as never;
    const error = await copyImage(new ArchiveSource('a', path), new DaemonDestination(engine, 'judge/corrupt:1'), { job }).catch((e: unknown) => e);
    expect((error as LighterError).code).toBe('DIGEST_MISMATCH');
    // Most of the file went out before the check failed: the cut, not a refusal up front, kept it out.
    expect(sent).toBeGreaterThan(bytes.length / 2);
    expect(sent).toBeLessThan(bytes.length);
    expect(await imageIds()).toEqual(before);
    expect(await loads(since)).not.toContain(image.configDigest);
    // The engine's own engine (started by the tests) keeps uploads in data/tmp while it reads them.
    const engineTmp = join(dirname(host.replace(/^unix:\/\//, '')), 'data', 'tmp');
    if (existsSync(engineTmp)) {
      await expect.poll(() => readdirSync(engineTmp).filter((n) => n.startsWith('docker-import')), { timeout: 5000 }).toEqual([]);
    }
  });

  it('a compressed layer that is not what the config says is caught before the engine can load anything', async () => {
    // Blob digests all hold; only decompressing the layer shows its diffID is not the config's.
    const good = makeImage('judge/wrong-diffid:1', [await randomLayer(2, 3_000_000)], { docker: true, gzip: true });
    const config = JSON.parse(good.config.toString());
    config.rootfs.diff_ids[0] = digestOf('another layer');
    const configBytes = Buffer.from(JSON.stringify(config));
    const { path } = await writeArchive('wrong-diffid.tar', { ...good, config: configBytes, configDigest: digestOf(configBytes) });
    await remove('judge/wrong-diffid:1');
    const since = now();
    const error = await copyImage(new ArchiveSource('a', path), new DaemonDestination(engine, 'judge/wrong-diffid:1')).catch((e: unknown) => e);
    expect((error as LighterError).code).toBe('DIGEST_MISMATCH');
    expect(await exists('judge/wrong-diffid:1')).toBe(false);
    expect(await loads(since)).not.toContain(digestOf(configBytes));
  });

  it('blob by blob (from an OCI archive): a gzip layer that is not its diff_id is caught by Lighter, never loaded', async () => {
    const good = makeImage('judge/oci-wrong:1', [await randomLayer(2, 1_000_000)], { gzip: true });
    const config = JSON.parse(good.config.toString());
    config.rootfs.diff_ids[0] = digestOf('another layer');
    const configBytes = Buffer.from(JSON.stringify(config));
    const manifest = JSON.parse(good.manifest.toString());
    manifest.config = { ...manifest.config, digest: digestOf(configBytes), size: configBytes.length };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    const bad = { ...good, config: configBytes, configDigest: digestOf(configBytes), manifest: manifestBytes, manifestDigest: digestOf(manifestBytes) };
    const path = join(dir, 'oci-wrong.tar');
    writeFileSync(path, await ociArchive([bad]));
    await remove('judge/oci-wrong:1');
    const since = now();
    const error = await copyImage(new ArchiveSource('a', path), new DaemonDestination(engine, 'judge/oci-wrong:1')).catch((e: unknown) => e);
    // Lighter's own check (DIGEST_MISMATCH), not the engine's refusal (ENGINE_ERROR).
    expect(error).toMatchObject({ code: 'DIGEST_MISMATCH', details: { expected: digestOf('another layer'), actual: good.layers[0].diffID } });
    expect(await exists('judge/oci-wrong:1')).toBe(false);
    expect(await loads(since)).not.toContain(digestOf(configBytes));
  });

  it("the engine's refusal in its reply (an image for another operating system) is a clear error", async () => {
    // Every digest holds: only the engine knows it cannot run this image.
    const good = makeImage('judge/refused:1', [await randomLayer(2, 100_000)], { docker: true, gzip: true });
    const config = JSON.parse(good.config.toString());
    config.os = 'windows';
    const configBytes = Buffer.from(JSON.stringify(config));
    const { path } = await writeArchive('refused.tar', { ...good, config: configBytes, configDigest: digestOf(configBytes) });
    await remove('judge/refused:1');
    const error = await copyImage(new ArchiveSource('a', path), new DaemonDestination(engine, 'judge/refused:1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LighterError);
    expect((error as LighterError).code).toBe('ENGINE_ERROR');
    expect((error as LighterError).message).toMatch(/^The engine refused the image: .*(operating system|windows)/i);
    expect(await exists('judge/refused:1')).toBe(false);
  });

  it('cancelling mid-upload leaves the engine without the image and nothing behind', async () => {
    const image = makeImage('judge/cancelled:1', [await randomLayer(8, 3 << 20)], { docker: true });
    const { path } = await writeArchive('cancel.tar', image);
    await remove('judge/cancelled:1');
    const files = readdirSync(dir).sort();
    const controller = new AbortController();
    const job = { progress: (p: { current?: number }) => (p.current ?? 0) > 2 << 20 && controller.abort(), item: () => undefined };
    const since = now();
    const error = await copyImage(new ArchiveSource('a', path), new DaemonDestination(engine, 'judge/cancelled:1'), { job, signal: controller.signal }).catch((e: unknown) => e);
    expect((error as LighterError).code).toBe('CANCELLED');
    // The engine gives up on the cut tar on its own time: give it a moment before judging.
    await new Promise((r) => setTimeout(r, 500));
    expect(await exists('judge/cancelled:1')).toBe(false);
    expect(await loads(since)).not.toContain(image.configDigest);
    expect(readdirSync(dir).sort()).toEqual(files);
  });
});

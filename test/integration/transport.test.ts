/**
 * `lighter copy` and `lighter inspect` across transports, judged by outside tools: a real
 * docker-registry, the throwaway engine (docker load/save) and skopeo.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src-main/core/image/digest';
import { runBuiltCli } from '../support/cli';
import { docker, requireEngine, testDockerEnv } from '../support/engine';
import { SMALL } from '../support/fixtures';
import { type PushedImage, type PushedIndex, pushTestImage, pushTestIndex, registryAvailable, startRegistry, type TestRegistry } from '../support/registry';
import { haveBinary } from '../support/registry-tools';

const host = requireEngine();
const hasSkopeo = haveBinary('skopeo', 'install the Debian package skopeo to judge archives');
const hasRegistry = registryAvailable();

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME }): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, env }, (error, stdout, stderr) =>
      error ? reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.trim()}`)) : resolve(stdout),
    ),
  );
}

const dir = mkdtempSync(join(tmpdir(), 'lighter-transport-it-'));
const storeDir = join(dir, 'store');
let registry: TestRegistry;
let image: PushedImage;
let index: PushedIndex;

/** The built CLI with its own store and the test engine. */
async function lighter(...argv: string[]) {
  const result = await runBuiltCli(argv, { HOME: dir, LIGHTER_STORE: storeDir, DOCKER_HOST: host || 'unix:///nonexistent.sock' });
  if (result.code !== 0) throw new Error(`lighter ${argv.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

beforeAll(async () => {
  if (!hasRegistry) return;
  registry = await startRegistry();
  image = await pushTestImage(registry.host, 'judge/app', 'v1', { layers: 3, layerSize: 200_000 });
  index = await pushTestIndex(registry.host, 'judge/multi', 'v1', [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
  ]);
});
afterAll(async () => {
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasRegistry || !hasSkopeo)('copy between registry, archives and layouts', () => {
  it('registry → docker-archive: skopeo reads it, the digest printed is the manifest digest', async () => {
    const tar = join(dir, 'app.tar');
    const out = await lighter('copy', `docker://${image.ref}`, `docker-archive:${tar}`);
    expect(out.trim()).toBe(image.manifestDigest);
    expect(JSON.parse(await run('skopeo', ['inspect', `docker-archive:${tar}`])).Layers).toHaveLength(3);
    // The archive records the source's name, so `docker load` tags it.
    expect(JSON.parse(await lighter('inspect', '--json', `docker-archive:${tar}:${image.ref}`)).digest).toBe(image.manifestDigest);
    const config = await run('skopeo', ['inspect', '--config', '--raw', `docker-archive:${tar}`]);
    expect(sha256(Buffer.from(config))).toBe(image.manifest.config.digest);
    expect(readdirSync(dir).filter((n) => n.includes('.partial'))).toEqual([]);
  });

  it('registry → oci-archive: skopeo reads the same manifest bytes', async () => {
    const tar = join(dir, 'app-oci.tar');
    await lighter('copy', `docker://${image.ref}`, `oci-archive:${tar}:v1`);
    const raw = await run('skopeo', ['inspect', '--raw', `oci-archive:${tar}:v1`]);
    expect(sha256(Buffer.from(raw))).toBe(image.manifestDigest);
    // And Lighter reads its own archive back, exactly.
    const ours = await runBuiltCli(['inspect', '--raw', `oci-archive:${tar}:v1`], { HOME: dir });
    expect(ours.stdout).toBe(image.manifestBytes.toString());
  });

  it('registry → oci layout → registry keeps the manifest digest (multi-platform index too)', async () => {
    const layout = join(dir, 'layout');
    await lighter('copy', '--all-platforms', `docker://${registry.host}/judge/multi:v1`, `oci:${layout}:multi`);
    await lighter('copy', `docker://${image.ref}`, `oci:${layout}:app`);
    expect(await lighter('copy', '--all-platforms', `oci:${layout}:multi`, `docker://${registry.host}/judge/back:multi`)).toBe(`${index.indexDigest}\n`);
    expect(await lighter('copy', `oci:${layout}:app`, `docker://${registry.host}/judge/back:app`)).toBe(`${image.manifestDigest}\n`);
    const judged = JSON.parse(await run('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/judge/back:app`]));
    expect(judged.Digest).toBe(image.manifestDigest);
    const rawIndex = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/judge/back:multi`]);
    expect(sha256(Buffer.from(rawIndex))).toBe(index.indexDigest);
  });

  it('one platform of an index goes to an archive; several need a destination that holds an index', async () => {
    const tar = join(dir, 'arm.tar');
    const out = await lighter('copy', '--platform', 'linux/arm64', `docker://${registry.host}/judge/multi:v1`, `docker-archive:${tar}`);
    expect(out.trim()).toBe(index.images[1].manifestDigest);
    const refused = await runBuiltCli(['copy', '--all-platforms', `docker://${registry.host}/judge/multi:v1`, `docker-archive:${join(dir, 'all.tar')}`], { HOME: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/one platform/);
    expect(existsSync(join(dir, 'all.tar'))).toBe(false);
  });

  it('reads archives skopeo wrote (docker-archive and oci-archive) and copies them on', async () => {
    const dockerTar = join(dir, 'skopeo-docker.tar');
    const ociTar = join(dir, 'skopeo-oci.tar');
    await run('skopeo', ['copy', '-q', '--insecure-policy', '--src-tls-verify=false', `docker://${image.ref}`, `docker-archive:${dockerTar}:judge/app:v1`]);
    await run('skopeo', ['copy', '-q', '--insecure-policy', '--src-tls-verify=false', `docker://${image.ref}`, `oci-archive:${ociTar}:v1`]);
    const fromDocker = JSON.parse(await lighter('inspect', '--json', `docker-archive:${dockerTar}:judge/app:v1`));
    expect(fromDocker.image.config.digest).toBe(image.manifest.config.digest);
    const fromOci = JSON.parse(await lighter('inspect', '--json', `oci-archive:${ociTar}`));
    expect(fromOci.digest).toBe(image.manifestDigest);
    expect(fromOci.image.layers.map((l: { digest: string }) => l.digest)).toEqual(image.manifest.layers.map((l) => l.digest));
    await lighter('copy', `oci-archive:${ociTar}:v1`, 'store:judge/from-skopeo:v1');
    expect(JSON.parse(await lighter('inspect', '--json', 'store:judge/from-skopeo:v1')).digest).toBe(image.manifestDigest);
  });

  it('refuses unknown transports and bad references with one clear line', async () => {
    const bad = await runBuiltCli(['copy', 'ftp://x', `docker-archive:${join(dir, 'x.tar')}`], { HOME: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^lighter copy: "ftp:\/\/x" names no transport/);
    const ref = await runBuiltCli(['copy', 'docker://Bad/Name', 'store:x'], { HOME: dir, LIGHTER_STORE: storeDir });
    expect(ref.code).toBe(1);
    expect(ref.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});

describe.skipIf(!host || !hasRegistry || !hasSkopeo)('copy to and from the engine', () => {
  const env = testDockerEnv(host);

  it('registry → docker-daemon loads the image with the same image ID as its config digest', async () => {
    await lighter('copy', `docker://${image.ref}`, 'docker-daemon:judge/loaded:v1');
    const id = (await docker(env, 'image', 'inspect', '--format', '{{.Id}}', 'judge/loaded:v1')).trim();
    expect(id).toBe(image.manifest.config.digest);
    await docker(env, 'rmi', 'judge/loaded:v1');
  });

  it('docker-archive written by Lighter loads with docker load (same image ID)', async () => {
    const tar = join(dir, 'for-docker.tar');
    await lighter('copy', `docker://${image.ref}`, `docker-archive:${tar}:judge/viaload:v1`);
    const loaded = await docker(env, 'load', '-i', tar);
    expect(loaded).toMatch(/judge\/viaload:v1/);
    const id = (await docker(env, 'image', 'inspect', '--format', '{{.Id}}', 'judge/viaload:v1')).trim();
    expect(id).toBe(image.manifest.config.digest);
    await docker(env, 'rmi', 'judge/viaload:v1');
  });

  it('docker-daemon → store → docker-archive keeps the image ID; docker save output reads the same', async () => {
    const id = (await docker(env, 'image', 'inspect', '--format', '{{.Id}}', SMALL)).trim();
    await lighter('copy', `docker-daemon:${SMALL}`, 'store:judge/small:1');
    const described = JSON.parse(await lighter('inspect', '--json', 'store:judge/small:1'));
    expect(described.image.config.digest).toBe(id);
    const saved = join(dir, 'docker-saved.tar');
    await docker(env, 'save', '-o', saved, SMALL);
    const fromSave = JSON.parse(await lighter('inspect', '--json', `docker-archive:${saved}`));
    expect(fromSave.image.config.digest).toBe(id);
    expect(fromSave.digest).toBe(described.digest);
    const tar = join(dir, 'small-export.tar');
    await lighter('copy', 'store:judge/small:1', `docker-archive:${tar}`);
    expect(await docker(env, 'load', '-i', tar)).toMatch(/Loaded image: judge\/small:1/);
    expect((await docker(env, 'image', 'inspect', '--format', '{{.Id}}', 'judge/small:1')).trim()).toBe(id);
    await docker(env, 'rmi', 'judge/small:1');
  });

  it('docker-archive → docker-daemon; a missing engine image fails with one line and no file', async () => {
    await docker(env, 'rmi', '-f', 'judge/back:1').catch(() => undefined);
    await lighter('copy', `docker-archive:${join(dir, 'docker-saved.tar')}`, 'docker-daemon:judge/back:1');
    const id = (await docker(env, 'image', 'inspect', '--format', '{{.Id}}', 'judge/back:1')).trim();
    expect(id).toBe((await docker(env, 'image', 'inspect', '--format', '{{.Id}}', SMALL)).trim());
    await docker(env, 'rmi', 'judge/back:1');
    const missing = await runBuiltCli(['copy', 'docker-daemon:judge/never:1', `docker-archive:${join(dir, 'never.tar')}`], { HOME: dir, DOCKER_HOST: host });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No such image/);
    expect(existsSync(join(dir, 'never.tar'))).toBe(false);
  });

  it('plain names still inspect engine images', async () => {
    const out = await lighter('inspect', SMALL);
    expect(out).toMatch(/^ID:\s+sha256:/m);
  });
});

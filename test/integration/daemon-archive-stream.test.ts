/**
 * Engine → docker-archive in one pass: the save stream goes straight into the archive file while
 * every digest is checked. Judged by `docker load`, skopeo and our own reader; broken and cancelled
 * streams leave no file.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { accessOf } from '../../src-main/core/engine/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyArchive } from '../../src-main/core/archive/read-archive';
import { engineError } from '../../src-main/core/engine/engine-errors';
import { LighterError } from '../../src-main/core/errors';
import { ArchiveSource } from '../../src-main/core/transport/archive-source';
import { copyImage } from '../../src-main/core/transport/copy';
import { DaemonSource } from '../../src-main/core/transport/daemon';
import { DockerArchiveFileDestination } from '../../src-main/core/transport/docker-archive-file';
import { inspectImage, openSaveStream } from '../../src-main/core/transport/engine-save-stream';
import type { ArchiveStream } from '../../src-main/core/transport/types';
import { runBuiltCli } from '../support/cli';
import { docker, requireEngine, testDockerEnv } from '../support/engine';
import { MULTI } from '../support/fixtures';
import { haveBinary } from '../support/registry-tools';

const host = requireEngine();
const hasSkopeo = haveBinary('skopeo', 'install the Debian package skopeo to judge archives');
const dir = mkdtempSync(join(tmpdir(), 'lighter-daemon-stream-it-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const engine = async () => accessOf(new Docker({ socketPath: host.replace(/^unix:\/\//, '') }));
const leftovers = () => readdirSync(dir).filter((f) => f.includes('.partial-'));

/** A real save stream, altered on the way: the faults an engine or a wire could cause. */
class AlteredSave extends DaemonSource {
  constructor(
    private readonly reference: string,
    private readonly alter: (tar: Buffer) => Buffer,
  ) {
    super(engine, MULTI);
  }
  override async archiveStream(): Promise<ArchiveStream> {
    const tar = this.alter(readFileSync(this.reference));
    const parts: Buffer[] = [];
    for (let i = 0; i < tar.length; i += 64 * 1024) parts.push(tar.subarray(i, i + 64 * 1024));
    return { stream: Readable.from(parts) };
  }
}

function skopeoInspect(path: string): Promise<{ Digest: string; Layers: string[] }> {
  return new Promise((resolve, reject) =>
    execFile('skopeo', ['inspect', `docker-archive:${path}`], (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(JSON.parse(stdout)))),
  );
}

describe.skipIf(!host)('engine → docker-archive in one pass', () => {
  const env = testDockerEnv(host);
  /** docker save's own output, the reference. */
  const saved = join(dir, 'saved.tar');
  beforeAll(() => docker(env, 'save', '-o', saved, MULTI));

  it('is taken for an engine source; the archive loads with the same image ID and reads back the same image', async () => {
    const id = (await docker(env, 'image', 'inspect', '--format', '{{.Id}}', MULTI)).trim();
    const out = join(dir, 'multi.tar');
    const result = await copyImage(new DaemonSource(engine, MULTI), new DockerArchiveFileDestination(`docker-archive:${out}`, out, [MULTI]));
    expect(result.streamed).toBe(true);

    // The digest is the one a blob-by-blob copy reports: that of the image in docker save's own output.
    expect(result.digest).toBe(await new ArchiveSource('saved', saved).topManifest().then((m) => m.digest));

    const { contents, report } = await verifyArchive(out);
    expect(contents.images[0].configDescriptor.digest).toBe(id);
    expect(report.layers).toBe(contents.images[0].layers.length);
    if (hasSkopeo) expect((await skopeoInspect(out)).Layers).toHaveLength(report.layers);

    await docker(env, 'rmi', '-f', 'judge/streamed:1').catch(() => undefined);
    const renamed = join(dir, 'renamed.tar');
    await copyImage(new DaemonSource(engine, MULTI), new DockerArchiveFileDestination('d', renamed, ['judge/streamed:1']));
    expect(await docker(env, 'load', '-i', renamed)).toMatch(/Loaded image: judge\/streamed:1/);
    expect((await docker(env, 'image', 'inspect', '--format', '{{.Id}}', 'judge/streamed:1')).trim()).toBe(id);
    await docker(env, 'rmi', 'judge/streamed:1');
    expect(leftovers()).toEqual([]);
  });

  it('lighter copy prints the same digest as before and writes a loadable file', async () => {
    const out = join(dir, 'cli.tar');
    const run = await runBuiltCli(['copy', `docker-daemon:${MULTI}`, `docker-archive:${out}:judge/cli:2`], { HOME: dir, DOCKER_HOST: host });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const inspected = await runBuiltCli(['inspect', '--json', `docker-archive:${saved}`], { HOME: dir, DOCKER_HOST: host });
    expect(run.stdout.trim()).toBe(JSON.parse(inspected.stdout).digest);
    expect(await docker(env, 'load', '-i', out)).toMatch(/Loaded image: judge\/cli:2/);
    await docker(env, 'rmi', 'judge/cli:2');
  });

  it('a flipped byte in a layer is DIGEST_MISMATCH, a cut stream ARCHIVE_INVALID; neither leaves a file', async () => {
    const contents = (await verifyArchive(saved)).contents;
    const layer = contents.blobs.get(contents.images[0].layers[0].descriptor.digest as `sha256:${string}`)!;
    const flip = (tar: Buffer) => {
      const copy = Buffer.from(tar);
      copy[layer.dataOffset + Math.floor(layer.size / 2)] ^= 0x40;
      return copy;
    };
    const flipped = join(dir, 'flipped.tar');
    const error = await copyImage(new AlteredSave(saved, flip), new DockerArchiveFileDestination('d', flipped, [])).catch((e: unknown) => e);
    expect((error as LighterError).code).toBe('DIGEST_MISMATCH');
    expect(existsSync(flipped)).toBe(false);

    const cut = join(dir, 'cut.tar');
    const truncated = await copyImage(new AlteredSave(saved, (tar) => tar.subarray(0, layer.dataOffset + 1000)), new DockerArchiveFileDestination('d', cut, [])).catch((e: unknown) => e);
    expect((truncated as LighterError).code).toBe('ARCHIVE_INVALID');
    expect(existsSync(cut)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('the save request spoken directly reports the engine\'s refusal like dockerode does', async () => {
    const error = await openSaveStream(await engine(), 'judge/never:1').catch((e: unknown) => e);
    expect((error as { statusCode?: number }).statusCode).toBe(404);
    expect((error as Error).message).not.toBe('');
    expect(engineError(error, 'judge/never:1').message).toBe('No such image: judge/never:1');
    // The size a save reports is asked the same way, and answers as dockerode's inspect does.
    const missing = await inspectImage(await engine(), 'judge/never:1').catch((e: unknown) => e);
    expect(engineError(missing, 'judge/never:1').message).toBe('No such image: judge/never:1');
    const access = await engine();
    expect((await inspectImage(access, MULTI)).Size).toBe((await access.docker.getImage(MULTI).inspect()).Size);
  });

  it('cancelling mid-stream stops the engine save and leaves nothing', async () => {
    const out = join(dir, 'cancelled.tar');
    const controller = new AbortController();
    const job = { progress: (p: { current?: number }) => (p.current ?? 0) > 0 && controller.abort(), item: () => undefined };
    const error = await copyImage(new DaemonSource(engine, MULTI), new DockerArchiveFileDestination('d', out, []), { job, signal: controller.signal }).catch((e: unknown) => e);
    expect((error as LighterError).code).toBe('CANCELLED');
    expect(existsSync(out)).toBe(false);
    expect(leftovers()).toEqual([]);
  });
});

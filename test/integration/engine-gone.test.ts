/**
 * The engine dies (SIGKILL) in the middle of a load and of a save, a real dockerd of its own: the
 * copy fails with one clear error that names the engine (not the data), the engine — started again
 * on the same data — holds no half-loaded image, and the archive being written is not left under
 * its name.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { accessOf } from '../../src-main/core/engine/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LighterError } from '../../src-main/core/errors';
import { ArchiveSource } from '../../src-main/core/transport/archive-source';
import { copyImage } from '../../src-main/core/transport/copy';
import { DaemonDestination, DaemonSource } from '../../src-main/core/transport/daemon';
import { DockerArchiveFileDestination } from '../../src-main/core/transport/docker-archive-file';
import { legacyDockerArchive, makeImage, randomLayer } from '../support/archive-fixtures';
import { docker, hasDockerd, startEngine, type TestEngine } from '../support/engine';

const canRun = hasDockerd() || process.env.CI === 'true';
if (!canRun) console.warn('SKIPPED: the engine-goes-away tests need dockerd (install docker.io).');

const dir = mkdtempSync(join(tmpdir(), 'lighter-engine-gone-it-'));
const archive = join(dir, 'big.tar');
/** Big enough that the engine is killed long before the transfer could end. */
const layerBytes = 24 << 20;
let engine: TestEngine;

const connect = async () => accessOf(new Docker({ socketPath: engine.socketPath }));
const imageNames = async () => (await docker(engine.env, 'images', '--format', '{{.Repository}}:{{.Tag}}')).split('\n').filter(Boolean).sort();
let killed: number[] = [];
/** The engine crashes: dockerd and its containerd killed at once. */
const kill = () => {
  killed = ['docker.pid', 'exec/containerd/containerd.pid'].map((pidFile) => Number(readFileSync(join(engine.dir, pidFile), 'utf8').trim()));
  for (const pid of killed) process.kill(pid, 'SIGKILL');
};
/** Starts the engine again on the same data, once the killed processes are really gone (a new dockerd would wait for the old containerd). */
const restart = async () => {
  const deadline = Date.now() + 20_000;
  while (killed.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await engine.stop({ keepDir: true });
  engine = await startEngine({ dir: engine.dir, own: true });
};

/** A job that kills the engine once `after` bytes have gone by. */
function killAfter(after: number) {
  let done = false;
  return {
    progress: (p: { current?: number }) => {
      if (!done && (p.current ?? 0) >= after) {
        done = true;
        kill();
      }
    },
    item: () => undefined,
  };
}

beforeAll(async () => {
  if (!canRun) return;
  const layers = [await randomLayer(2, layerBytes), await randomLayer(2, layerBytes)];
  writeFileSync(archive, await legacyDockerArchive([makeImage('gone/big:1', layers, { docker: true })]));
  engine = await startEngine({ own: true });
}, 120_000);
afterAll(async () => {
  await engine?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!canRun)('when the engine goes away mid-copy', () => {
  it('a load fails with one engine error, and the engine, started again, holds no part of the image', async () => {
    const error = (await copyImage(new ArchiveSource('a', archive), new DaemonDestination(connect, 'gone/big:1'), { job: killAfter(8 << 20) }).catch(
      (e: unknown) => e,
    )) as LighterError;
    expect(error.code).toBe('ENGINE_UNREACHABLE');
    expect(error.message).toMatch(/^The engine stopped answering/);
    expect(error.message.split('\n')).toHaveLength(1);
    await restart();
    expect(await imageNames()).toEqual([]);
  }, 120_000);

  it('a save fails with one engine error and leaves no archive, not even a temporary one', async () => {
    await docker(engine.env, 'load', '-q', '-i', archive);
    expect(await imageNames()).toEqual(['gone/big:1']);
    const out = join(dir, 'saved.tar');
    const error = (await copyImage(new DaemonSource(connect, 'gone/big:1'), new DockerArchiveFileDestination('d', out, []), { job: killAfter(8 << 20) }).catch(
      (e: unknown) => e,
    )) as LighterError;
    expect(error.code).toBe('ENGINE_UNREACHABLE');
    expect(error.message).toMatch(/^The engine stopped answering/);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['big.tar']);
    await restart();
    expect(await imageNames()).toEqual(['gone/big:1']);
  }, 120_000);
});

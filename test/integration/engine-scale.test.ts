/**
 * listImages with 1000+ images, on a private engine so the crowd never bothers other tests: the
 * images are loaded from a generated docker-archive (1000 configs over one shared tiny layer).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine } from '../../src-main/core/engine/connect';
import { listImages } from '../../src-main/core/engine/images';
import { docker, hasDockerd, startEngine, type TestEngine } from '../support/engine';

const count = 1000;
const canRun = hasDockerd() || process.env.CI === 'true';
if (!canRun) console.warn('SKIPPED: the 1000-image listing test needs dockerd.');

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

async function writeArchive(dir: string): Promise<string> {
  const root = join(dir, 'archive');
  mkdirSync(join(root, 'layer', 'content'), { recursive: true });
  writeFileSync(join(root, 'layer', 'content', 'hello.txt'), 'hello\n');
  await promisify(execFile)('tar', ['-cf', join(root, 'layer', 'layer.tar'), '-C', join(root, 'layer', 'content'), 'hello.txt']);
  rmSync(join(root, 'layer', 'content'), { recursive: true });
  const diffId = `sha256:${sha(readFileSync(join(root, 'layer', 'layer.tar')))}`;
  const manifest = [];
  for (let i = 0; i < count; i++) {
    const config = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString(),
      config: { Labels: { n: String(i) } },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created_by: `scale image ${i}` }],
    });
    const hex = sha(config);
    writeFileSync(join(root, `${hex}.json`), config);
    manifest.push({ Config: `${hex}.json`, RepoTags: [`lighter-scale/img:${i}`], Layers: ['layer/layer.tar'] });
  }
  writeFileSync(join(root, 'manifest.json'), JSON.stringify(manifest));
  const tar = join(dir, 'scale.tar');
  await promisify(execFile)('tar', ['-cf', tar, '-C', root, '.']);
  return tar;
}

describe.skipIf(!canRun)('listImages at scale', () => {
  let engine: TestEngine;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lighter-scale-'));
    engine = await startEngine({ own: true });
    const started = Date.now();
    await docker(engine.env, 'load', '-q', '-i', await writeArchive(dir));
    console.log(`loaded ${count} images in ${Date.now() - started} ms`);
  });
  afterAll(async () => {
    await engine?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`lists ${count} images with platforms, bounded and cached`, async () => {
    const { docker: client } = await connectEngine({ host: engine.host, source: 'user', foundBy: 'test' });
    let inFlight = 0;
    let maxInFlight = 0;
    let inspects = 0;
    // Count the engine requests the listing makes (wrapping the modem, not faking the engine).
    const modem = client.modem as { dial: (options: { path: string }, cb: (...args: unknown[]) => void) => void };
    const dial = modem.dial.bind(modem);
    modem.dial = (options, cb) => {
      const isInspect = /^\/images\/[^/]+\/json/.test(options.path);
      if (isInspect) {
        inspects++;
        maxInFlight = Math.max(maxInFlight, ++inFlight);
      }
      dial(options, (...args) => {
        if (isInspect) inFlight--;
        cb(...args);
      });
    };

    let t = Date.now();
    const cold = await listImages(client);
    const coldMs = Date.now() - t;
    expect(cold.filter((i) => i.repoTags[0]?.startsWith('lighter-scale/'))).toHaveLength(count);
    expect(cold.every((i) => i.platform === 'linux/amd64')).toBe(true);
    expect(inspects).toBe(count);
    expect(maxInFlight).toBeLessThanOrEqual(8);

    inspects = 0;
    t = Date.now();
    const warm = await listImages(client);
    const warmMs = Date.now() - t;
    expect(warm).toHaveLength(count);
    expect(inspects).toBe(0); // platforms come from the cache: an image ID never changes

    const before = await listImages(client, { before: 'lighter-scale/img:10' });
    expect(before.map((i) => i.repoTags[0]).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `lighter-scale/img:${i}`).sort());
    console.log(`listImages of ${count}: cold ${coldMs} ms (${count} inspects, ≤8 at once), warm ${warmMs} ms`);
    expect(coldMs).toBeLessThan(30_000);
    expect(warmMs).toBeLessThan(5_000);
  });
});

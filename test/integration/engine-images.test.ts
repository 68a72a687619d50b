/**
 * Images on the real throwaway engine, judged by the docker CLI talking to the same engine.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine } from '../../src-main/core/engine/connect';
import { diskUsage } from '../../src-main/core/engine/disk-usage';
import { humanSize } from '../../src-main/core/engine/format';
import { listImages } from '../../src-main/core/engine/images';
import { imageHistory, inspectImage } from '../../src-main/core/engine/inspect';
import { prunePreview, pruneImages } from '../../src-main/core/engine/prune';
import { imagesInUse, removeImages, tagImage } from '../../src-main/core/engine/remove';
import type { ImageSummary } from '../../src-main/core/engine/types';
import { docker as dockerCliRun, requireEngine, testDockerEnv } from '../support/engine';
import { buildFixtures, DANGLING_TAG, MULTI, MULTI_LATEST, MULTI_REGISTRY, SMALL, USER_CONTAINER, type Fixtures } from '../support/fixtures';

const host = requireEngine();

describe.skipIf(!host)('engine images against the real engine', () => {
  const env = testDockerEnv(host);
  const cli = (...args: string[]) => dockerCliRun(env, ...args);
  let docker: Docker;
  let fixtures: Fixtures;
  let scratch: string;

  /** A fresh single-layer image with its own ID, tagged `tag`. */
  async function buildUnique(tag: string): Promise<string> {
    writeFileSync(join(scratch, 'note.txt'), `${tag} ${Math.random()}\n`);
    writeFileSync(join(scratch, 'Dockerfile'), 'FROM scratch\nCOPY note.txt /note.txt\n');
    return (await cli('build', '-q', '-t', tag, scratch)).trim();
  }

  beforeAll(async () => {
    fixtures = await buildFixtures(env);
    docker = (await connectEngine({ host, source: 'DOCKER_HOST', foundBy: 'test' })).docker;
    scratch = mkdtempSync(join(tmpdir(), 'lighter-images-test-'));
  });
  afterAll(async () => {
    rmSync(scratch, { recursive: true, force: true });
    if (fixtures) await buildFixtures(env); // put back what prune/rm took
  });

  it('lists the images docker lists, one entry per ID with all tags', async () => {
    const ours = await listImages(docker);
    const theirs = (await cli('images', '--no-trunc', '--format', '{{json .}}'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ID: string; Repository: string; Tag: string; Size: string });
    const flatten = (images: ImageSummary[]) =>
      images
        .flatMap((i) => (i.repoTags.length ? i.repoTags : ['<none>:<none>']).map((t) => `${i.id} ${t} ${humanSize(i.size)}`))
        .sort();
    expect(flatten(ours)).toEqual(theirs.map((r) => `${r.ID} ${r.Repository}:${r.Tag} ${r.Size}`).sort());

    const multi = ours.find((i) => i.id === fixtures.multiId)!;
    expect(multi.repoTags.sort()).toEqual([MULTI, MULTI_LATEST, MULTI_REGISTRY].sort());
    expect(multi.platform).toBe('linux/amd64');
    expect(multi.labels['org.example.kind']).toBe('fixture');
    expect(multi.shortId).toBe(fixtures.multiId.slice(7, 19));
    const dangling = ours.find((i) => i.id === fixtures.danglingId)!;
    expect(dangling).toMatchObject({ dangling: true, repoTags: [] });
    const small = ours.find((i) => i.id === fixtures.smallId)!;
    expect(small.containers).toBe(1);
    expect(small.sharedSize).toBeGreaterThanOrEqual(0);
    expect(small.uniqueSize).toBe(small.size - small.sharedSize);
  });

  it('filters like docker images --filter', async () => {
    const ids = async (filter: Parameters<typeof listImages>[1]) => (await listImages(docker, filter)).map((i) => i.id).sort();
    const dockerIds = async (...filters: string[]) =>
      [...new Set((await cli('images', '--no-trunc', '-q', ...filters.flatMap((f) => ['--filter', f]))).trim().split('\n').filter(Boolean))].sort();

    expect(await ids({ dangling: true })).toEqual(await dockerIds('dangling=true'));
    expect(await ids({ dangling: false })).toEqual(await dockerIds('dangling=false'));
    expect(await ids({ reference: 'lighter-fixture/*' })).toEqual(await dockerIds('reference=lighter-fixture/*'));
    expect(await ids({ reference: '*/*/*:1.0' })).toEqual(await dockerIds('reference=*/*/*:1.0'));
    expect(await ids({ before: DANGLING_TAG })).toEqual(await dockerIds(`before=${DANGLING_TAG}`));
    expect(await ids({ since: MULTI })).toEqual(await dockerIds(`since=${MULTI}`));
    expect(await ids({ inUse: true })).toEqual([fixtures.smallId]);
    expect(await ids({ inUse: false })).not.toContain(fixtures.smallId);
    expect(await ids({ text: 'SMALL' })).toEqual([fixtures.smallId]);
    expect(await ids({ text: fixtures.multiId.slice(7, 15) })).toEqual([fixtures.multiId]);

    // A reference filter narrows the tags too, as docker does.
    const [multi] = await listImages(docker, { reference: 'localhost:5000/*/*' });
    expect(multi.repoTags).toEqual([MULTI_REGISTRY]);
    await expect(listImages(docker, { before: 'no-such-image:1' })).rejects.toThrow('No such image: no-such-image:1');
  });

  it('inspects like docker image inspect', async () => {
    const detail = await inspectImage(docker, MULTI);
    const [raw] = JSON.parse(await cli('image', 'inspect', MULTI));
    expect(detail.raw).toEqual(raw);
    expect(detail).toMatchObject({
      id: raw.Id,
      size: raw.Size,
      os: 'linux',
      architecture: raw.Architecture,
      layers: raw.RootFS.Layers,
      config: {
        env: ['PATH=/bin', 'APP=fixture'],
        cmd: ['sh'],
        entrypoint: null,
        workingDir: '/srv',
        user: '1000',
        exposedPorts: ['8080/tcp'],
        volumes: ['/data'],
        labels: { 'org.example.kind': 'fixture', 'org.example.name': 'multi' },
      },
    });
    expect(detail.repoTags.sort()).toEqual([...raw.RepoTags].sort());
    expect(detail.layers).toHaveLength(4);
  });

  it('unknown images are NOT_FOUND with a clear message', async () => {
    await expect(inspectImage(docker, 'lighter-fixture/nope:9')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'No such image: lighter-fixture/nope:9',
    });
    await expect(imageHistory(docker, 'sha256:' + '0'.repeat(64))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('shows the history docker history shows, with layer-less steps marked', async () => {
    const rows = await imageHistory(docker, MULTI);
    const theirs = (await cli('history', '--no-trunc', '--format', '{{json .}}', MULTI))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ID: string; CreatedBy: string; Size: string; CreatedAt: string; Comment: string });
    expect(rows.map((r) => [r.id, r.createdBy, humanSize(r.size), r.comment])).toEqual(
      theirs.map((t) => [t.ID, t.CreatedBy, t.Size, t.Comment]),
    );
    expect(rows.map((r) => new Date(r.created * 1000).toISOString().replace('.000', ''))).toEqual(theirs.map((t) => t.CreatedAt));
    // 4 layers (COPY, install, RUN files, RUN rm) and 7 metadata steps.
    expect(rows.filter((r) => !r.emptyLayer)).toHaveLength(4);
    expect(rows.find((r) => r.createdBy.includes('rm /srv/big'))!.emptyLayer).toBe(false);
    expect(rows.find((r) => r.createdBy.includes('ENV APP'))!.emptyLayer).toBe(true);
    expect(rows[0].tags.sort()).toEqual([MULTI, MULTI_LATEST, MULTI_REGISTRY].sort());
  });

  it('tags, and refuses an invalid tag with REF_INVALID', async () => {
    await tagImage(docker, SMALL, 'lighter-test/tagged:v1');
    await tagImage(docker, SMALL, 'localhost:5000/lighter-test/tagged');
    const [raw] = JSON.parse(await cli('image', 'inspect', SMALL));
    expect(raw.RepoTags).toEqual(expect.arrayContaining(['lighter-test/tagged:v1', 'localhost:5000/lighter-test/tagged:latest']));
    await expect(tagImage(docker, SMALL, 'Bad/Name:1')).rejects.toMatchObject({ code: 'REF_INVALID', message: expect.stringMatching(/must be lowercase/) });
    await expect(tagImage(docker, SMALL, 'x:-bad')).rejects.toMatchObject({ code: 'REF_INVALID' });
    await expect(tagImage(docker, 'lighter-test/none:1', 'lighter-test/x:1')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'No such image: lighter-test/none:1',
    });
    await cli('rmi', 'lighter-test/tagged:v1', 'localhost:5000/lighter-test/tagged:latest');
  });

  it('removes by tag and by ID', async () => {
    await tagImage(docker, SMALL, 'lighter-test/rm:1');
    const byTag = await removeImages(docker, ['lighter-test/rm:1']);
    expect(byTag).toEqual({ removed: [], untagged: ['lighter-test/rm:1'], failed: [] });

    const id = await buildUnique('lighter-test/rm-id:1');
    const progress: number[] = [];
    const byId = await removeImages(docker, [id], { onProgress: (p) => progress.push(p.done) });
    expect(byId.failed).toEqual([]);
    expect(byId.untagged).toEqual(['lighter-test/rm-id:1']);
    expect(byId.removed).toContain(id);
    expect(progress).toEqual([1]);
    expect((await cli('images', '-q', '--no-trunc')).includes(id)).toBe(false);

    const missing = await removeImages(docker, ['lighter-test/gone:1']);
    expect(missing.failed).toEqual([{ image: 'lighter-test/gone:1', error: 'No such image: lighter-test/gone:1', code: 'NOT_FOUND' }]);
  });

  it('refuses to remove an image a container uses (IN_USE naming it) unless forced', async () => {
    const id = await buildUnique('lighter-test/used:1');
    await cli('create', '--name', 'lighter-test-user', '--network', 'none', 'lighter-test/used:1', '/x');
    try {
      const usage = await imagesInUse(docker, ['lighter-test/used:1', SMALL]);
      expect(usage[0].containers.map((c) => [c.name, c.state])).toEqual([['lighter-test-user', 'created']]);
      expect(usage[1].containers.map((c) => c.name)).toEqual([USER_CONTAINER]);

      const refused = await removeImages(docker, ['lighter-test/used:1']);
      expect(refused.removed).toEqual([]);
      expect(refused.failed).toHaveLength(1);
      expect(refused.failed[0]).toMatchObject({ code: 'IN_USE', containers: [{ name: 'lighter-test-user', state: 'created' }] });
      expect(refused.failed[0].error).toMatch(/in use by container "lighter-test-user"/);

      const forced = await removeImages(docker, ['lighter-test/used:1'], { force: true });
      expect(forced.failed).toEqual([]);
      expect(forced.untagged).toEqual(['lighter-test/used:1']);
      expect(forced.removed).toContain(id);
    } finally {
      await cli('rm', 'lighter-test-user');
    }
  });

  it('previews a dangling prune, then prunes exactly that', async () => {
    const secondDangling = await buildUnique('lighter-test/dangle:1');
    await buildUnique('lighter-test/dangle:1'); // leaves the first one untagged
    const preview = await prunePreview(docker);
    const danglingIds = (await cli('images', '-q', '--no-trunc', '--filter', 'dangling=true')).trim().split('\n').sort();
    expect(preview.images.map((i) => i.id).sort()).toEqual(danglingIds);
    expect(danglingIds).toEqual(expect.arrayContaining([fixtures.danglingId, secondDangling]));
    const expected = preview.images.reduce((n, i) => n + i.size, 0); // single-layer images, nothing shared
    expect(preview.reclaimBytes).toBe(expected);

    const all = await prunePreview(docker, { all: true });
    expect(all.images.map((i) => i.id)).not.toContain(fixtures.smallId);
    expect(all.images.map((i) => i.id)).toContain(fixtures.multiId);
    // Every unused image goes, but multi's base layer (busybox) stays: small, in use, has the same one.
    const smallSize = (await inspectImage(docker, SMALL)).size;
    const multiBase = (await imageHistory(docker, MULTI)).at(-1)!.size;
    expect(multiBase).toBe(smallSize);
    expect(all.reclaimBytes).toBe(all.images.reduce((n, i) => n + i.size, 0) - multiBase);

    const result = await pruneImages(docker);
    expect(result.deleted).toEqual(expect.arrayContaining(danglingIds));
    expect(result.reclaimedBytes).toBe(preview.reclaimBytes);
    expect((await cli('images', '-q', '--filter', 'dangling=true')).trim()).toBe('');
    expect((await prunePreview(docker)).images).toEqual([]);
    await cli('rmi', 'lighter-test/dangle:1');
  });

  it('reports disk usage like docker system df', async () => {
    const usage = await diskUsage(docker);
    const rows = (await cli('system', 'df', '--format', '{{json .}}'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { Type: string; TotalCount: string; Active: string; Size: string; Reclaimable: string });
    const ours: Record<string, typeof usage.images> = {
      Images: usage.images,
      Containers: usage.containers,
      'Local Volumes': usage.volumes,
      'Build Cache': usage.buildCache,
    };
    for (const row of rows) {
      const u = ours[row.Type];
      expect(u, row.Type).toBeDefined();
      expect([String(u.count), String(u.active), humanSize(u.size, 4)]).toEqual([row.TotalCount, row.Active, row.Size]);
      const percent = u.size > 0 ? ` (${Math.floor((u.reclaimable * 100) / u.size)}%)` : '';
      expect(row.Reclaimable).toBe(`${humanSize(u.reclaimable, 4)}${percent}`);
    }
    expect(usage.images.count).toBeGreaterThanOrEqual(3);
    expect(usage.containers.count).toBeGreaterThanOrEqual(1);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineStatus, ImageSummary } from '../../src-main/core/engine/types';
import type { JobInfo } from '../../src-main/core/jobs/types';
import { createAppCore, type AppCore } from '../../src-main/ipc/app-core';
import { docker, requireEngine, testDockerEnv } from '../support/engine';
import { MULTI, SMALL } from '../support/fixtures';

const host = requireEngine();

/** Waits until `check` passes, polling; fails with the last error after `ms`. */
async function eventually<T>(check: () => Promise<T> | T, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe.skipIf(!host)('the app core against a real engine (router, jobs, events)', () => {
  let core: AppCore;
  let home: string;
  const events: { name: string; payload: unknown }[] = [];
  const env = testDockerEnv(host);

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'lighter-home-'));
    core = createAppCore({ env: { DOCKER_HOST: host, HOME: home }, home });
    core.subscribe((name, payload) => events.push({ name, payload }));
    await eventually(async () => {
      const reply = await core.router.invoke('engine.status', {});
      expect((reply as { value: EngineStatus }).value.state).toBe('connected');
    });
  });

  afterAll(async () => {
    await core?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('reports the connected engine and how it was found', async () => {
    const reply = await core.router.invoke('engine.status', undefined);
    expect(reply.ok).toBe(true);
    const status = (reply as { value: EngineStatus }).value;
    expect(status.engine?.host).toBe(host);
    expect(status.engine?.foundBy).toContain('DOCKER_HOST');
    expect(status.engine?.apiVersion).toMatch(/^1\.\d+$/);
  });

  it('lists images through the router, one entry per image with all its tags', async () => {
    const reply = await core.router.invoke('images.list', {});
    const images = (reply as { value: ImageSummary[] }).value;
    const multi = images.find((i) => i.repoTags.includes(MULTI));
    expect(multi?.repoTags.length).toBeGreaterThan(1);
    expect(images.filter((i) => i.id === multi?.id)).toHaveLength(1);
  });

  it('answers bad input and unknown images with typed errors', async () => {
    expect(await core.router.invoke('images.inspect', { image: 'no-such-image:ever' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await core.router.invoke('images.tag', { source: SMALL, target: 'Bad/UPPER:tag' })).toMatchObject({ ok: false, error: { code: 'REF_INVALID' } });
    expect(await core.router.invoke('images.tag', { source: 42, target: 'x' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('pushes an images.changed event when the docker CLI tags an image', async () => {
    const before = events.filter((e) => e.name === 'images.changed').length;
    await docker(env, 'tag', SMALL, 'lighter-appcore/tagged:by-cli');
    await eventually(() => expect(events.filter((e) => e.name === 'images.changed').length).toBeGreaterThan(before));
    await docker(env, 'rmi', 'lighter-appcore/tagged:by-cli');
  });

  it('removes through a job whose events reach the subscriber', async () => {
    await docker(env, 'tag', SMALL, 'lighter-appcore/remove:me');
    const reply = await core.router.invoke('images.remove', { images: ['lighter-appcore/remove:me'] });
    expect(reply.ok).toBe(true);
    const job = (reply as { value: JobInfo }).value;
    const done = await core.jobs.wait(job.id);
    expect(done.state).toBe('succeeded');
    const jobEvents = events.filter((e) => e.name === 'job' && (e.payload as JobInfo).id === job.id).map((e) => (e.payload as JobInfo).state);
    expect(jobEvents[0]).toBe('running');
    expect(jobEvents.at(-1)).toBe('succeeded');
    const listed = await core.router.invoke('images.list', { filter: { reference: 'lighter-appcore/remove*' } });
    expect((listed as { value: ImageSummary[] }).value).toEqual([]);
  });
});

describe('the app core with no engine', () => {
  it('stays usable: status unreachable with what was tried, engine calls fail with ENGINE_UNREACHABLE', async () => {
    const home = await mkdtemp(join(tmpdir(), 'lighter-home-'));
    const core = createAppCore({ env: { DOCKER_HOST: `unix://${home}/absent.sock`, HOME: home }, home });
    try {
      const status = await eventually(async () => {
        const reply = await core.router.invoke('engine.status', {});
        const value = (reply as { value: EngineStatus }).value;
        expect(value.state).toBe('unreachable');
        return value;
      });
      expect(status.attempts[0].host).toBe(`unix://${home}/absent.sock`);
      expect(status.attempts[0].error).toMatch(/no engine socket at .*absent\.sock/);
      expect(await core.router.invoke('images.list', {})).toMatchObject({ ok: false, error: { code: 'ENGINE_UNREACHABLE' } });
      expect(await core.router.invoke('jobs.list', {})).toEqual({ ok: true, value: [] });
    } finally {
      await core.close();
      await rm(home, { recursive: true, force: true });
    }
  });
});

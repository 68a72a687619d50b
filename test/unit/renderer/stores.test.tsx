// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobInfo } from '../../../src-main/core/jobs/types';
import { App } from '../../../src-renderer/App';
import { useEngine } from '../../../src-renderer/store/engine';
import { useImages } from '../../../src-renderer/store/images';
import { useJobs } from '../../../src-renderer/store/jobs';
import { useUi } from '../../../src-renderer/store/ui';
import { connectStores } from '../../../src-renderer/store/wire';
import { connected, fakeBridge, image, type FakeBridge } from './fake-bridge';
import { resetStores } from './reset';

const JOB_ID = '7d3f1c2e-4b5a-4c6d-8e9f-0a1b2c3d4e5f';

function job(partial: Partial<JobInfo> = {}): JobInfo {
  return {
    id: JOB_ID,
    kind: 'pull',
    title: 'Pull example/app:1',
    state: 'running',
    progress: { current: 0, total: 1000, unit: 'bytes' },
    startedAt: Date.now(),
    ...partial,
  };
}

let fake: FakeBridge;
let disconnect: () => void;
let lists = 0;

beforeEach(() => {
  resetStores();
  lists = 0;
  fake = fakeBridge({
    'engine.status': () => connected,
    'images.list': () => {
      lists++;
      return [image({ repoTags: ['example/one:1'] })];
    },
    'jobs.list': () => [],
    'engine.candidates': () => ({ candidates: [], contexts: [] }),
    'app.info': () => ({ version: '0.1.0', platform: 'linux', arch: 'x64' }),
  });
  window.lighter = fake.bridge;
  disconnect = connectStores({ refreshDelayMs: 10 });
});

afterEach(() => {
  disconnect();
  cleanup();
  delete window.lighter;
});

describe('stores wired to events', () => {
  it('loads the engine status, the images and the jobs at start', async () => {
    await waitFor(() => expect(useImages.getState().loaded).toBe(true));
    expect(useEngine.getState().status.state).toBe('connected');
    expect(useImages.getState().list.map((i) => i.repoTags[0])).toEqual(['example/one:1']);
    expect(fake.calls.map((c) => c.method)).toEqual(expect.arrayContaining(['engine.status', 'images.list', 'jobs.list']));
  });

  it('applies job events and never lets a late "running" undo a finished job', () => {
    act(() => fake.emit('job', job({ progress: { current: 400, total: 1000, unit: 'bytes', rate: 200, etaSeconds: 3 } })));
    expect(useJobs.getState().jobs.get(JOB_ID)?.progress.current).toBe(400);
    act(() => fake.emit('job', job({ state: 'succeeded', progress: { current: 1000, total: 1000, unit: 'bytes' }, endedAt: Date.now() })));
    act(() => fake.emit('job', job({ progress: { current: 900, total: 1000, unit: 'bytes' } })));
    expect(useJobs.getState().jobs.get(JOB_ID)?.state).toBe('succeeded');
    expect(useUi.getState().toasts.map((t) => t.kind)).toEqual(['success']);
  });

  it('keeps a job’s progress while the user goes to another view and back', async () => {
    render(<App />);
    act(() => useUi.getState().navigate({ name: 'jobs' }));
    act(() => fake.emit('job', job({ progress: { current: 250, total: 1000, unit: 'bytes', rate: 50_000, etaSeconds: 15 } })));
    expect(screen.getByRole('progressbar', { name: /Pull example\/app:1/ }).getAttribute('aria-valuenow')).toBe('25');

    fireEvent.click(screen.getByRole('button', { name: /Images/ }));
    expect(screen.queryByRole('progressbar')).toBeNull();
    // Progress keeps arriving while the Jobs view is not shown.
    act(() => fake.emit('job', job({ progress: { current: 600, total: 1000, unit: 'bytes', rate: 50_000, etaSeconds: 8 } })));
    expect(screen.getByRole('button', { name: /Jobs/ }).textContent).toContain('1');

    fireEvent.click(screen.getByRole('button', { name: /Jobs/ }));
    const bar = screen.getByRole('progressbar', { name: /Pull example\/app:1/ });
    expect(bar.getAttribute('aria-valuenow')).toBe('60');
    expect(bar.getAttribute('aria-valuetext')).toBe('600 B of 1.0 kB · 50.0 kB/s · 8 s left');
  });

  it('refreshes the images once per burst of images.changed events', async () => {
    await waitFor(() => expect(useImages.getState().loaded).toBe(true));
    const before = lists;
    fake.handlers['images.list'] = () => {
      lists++;
      return [image({ repoTags: ['example/one:1'] }), image({ repoTags: ['example/two:1'] })];
    };
    for (let n = 0; n < 5; n++) fake.emit('images.changed', { at: n });
    await waitFor(() => expect(useImages.getState().list).toHaveLength(2));
    expect(lists - before).toBe(1);
  });

  it('refreshes the images when the engine comes back', async () => {
    await waitFor(() => expect(useImages.getState().loaded).toBe(true));
    fake.emit('engine.status', { state: 'unreachable', attempts: [{ host: 'unix:///nope', foundBy: '$DOCKER_HOST', error: 'ENOENT' }], retryInMs: 5000 });
    const before = lists;
    fake.emit('engine.status', connected);
    await waitFor(() => expect(lists).toBe(before + 1));
  });

  it('shows the unreachable banner with every attempt, while Jobs and Settings still work', async () => {
    render(<App />);
    act(() =>
      fake.emit('engine.status', {
        state: 'unreachable',
        attempts: [
          { host: 'unix:///nope/docker.sock', foundBy: '$DOCKER_HOST', error: 'connect ENOENT /nope/docker.sock' },
          { host: 'unix:///var/run/docker.sock', foundBy: 'default socket', error: 'permission denied' },
        ],
        retryInMs: 5000,
      }),
    );
    const banner = screen.getByRole('alert', { name: 'No container engine is reachable' });
    expect(banner.textContent).toContain('unix:///nope/docker.sock');
    expect(banner.textContent).toContain('$DOCKER_HOST');
    expect(banner.textContent).toContain('permission denied');
    expect(banner.textContent).toMatch(/Trying again in [45] s/);

    fireEvent.click(screen.getByRole('button', { name: 'Choose engine…' }));
    expect(screen.getByRole('heading', { name: 'Settings' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: /Jobs/ }));
    expect(screen.getByRole('heading', { name: 'Jobs' })).toBeTruthy();
  });
});

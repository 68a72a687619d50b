/**
 * EngineConnection on real engines: image events, an engine that is not there, and a second
 * throwaway engine stopped and started again under the connection's feet.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EngineConnection } from '../../src-main/core/engine/connection';
import type { EngineStatus, ImageEvent } from '../../src-main/core/engine/types';
import { docker, hasDockerd, requireEngine, startEngine, testDockerEnv, type TestEngine } from '../support/engine';
import { SMALL } from '../support/fixtures';

const host = requireEngine();
const home = mkdtempSync(join(tmpdir(), 'lighter-connection-home-'));
const connections: EngineConnection[] = [];

function open(options: ConstructorParameters<typeof EngineConnection>[0]): EngineConnection {
  const connection = new EngineConnection({ home, exists: () => false, ...options });
  connections.push(connection);
  return connection;
}

/** Resolves with the first status matching `want`, or rejects after `ms`. */
function waitForStatus(connection: EngineConnection, want: (s: EngineStatus) => boolean, ms: number): Promise<EngineStatus> {
  return new Promise((resolve, reject) => {
    if (want(connection.status())) return resolve(connection.status());
    const timer = setTimeout(() => {
      off();
      reject(new Error(`status not reached in ${ms} ms; last: ${JSON.stringify(connection.status())}`));
    }, ms);
    const off = connection.onStatus((s) => {
      if (!want(s)) return;
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}

afterEach(() => {
  while (connections.length) connections.pop()!.close();
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('EngineConnection without an engine', () => {
  it('reports unreachable with what it tried, and retries in the background', async () => {
    const missing = join(home, 'no-engine.sock');
    const connection = open({ env: { DOCKER_HOST: `unix://${missing}` }, firstRetryMs: 200, maxRetryMs: 400 });
    const seen: EngineStatus[] = [];
    connection.onStatus((s) => seen.push(s));
    const status = await connection.refresh();
    expect(status.state).toBe('unreachable');
    expect(status.attempts).toEqual([
      { host: `unix://${missing}`, foundBy: '$DOCKER_HOST', error: `Cannot reach the engine at unix://${missing}: no engine socket at ${missing}` },
    ]);
    expect(status.retryInMs).toBeGreaterThan(0);
    expect(() => connection.docker()).toThrow(expect.objectContaining({ code: 'ENGINE_UNREACHABLE' }));
    expect(seen[0].state).toBe('connecting');

    // Background retries keep it "unreachable" (no flicker through "connecting") and keep backing off.
    await new Promise((r) => setTimeout(r, 1000));
    expect(seen.slice(1).every((s) => s.state === 'unreachable')).toBe(true);
    expect(seen.length).toBeGreaterThanOrEqual(4);
  });

  it('says so when discovery finds nothing at all', async () => {
    const status = await open({ env: {}, platform: 'linux' }).refresh();
    expect(status.state).toBe('unreachable');
    expect(status.attempts[0].error).toMatch(/No container engine found/);
  });

  it('turns a bad selection into a failed attempt, not a rejection', async () => {
    const connection = open({ env: {} });
    const status = await connection.select({ host: 'http://nope:1' });
    expect(status.state).toBe('unreachable');
    expect(status.attempts[0].error).toMatch(/scheme "http:\/\/" is not supported/);
    const byContext = await connection.select({ context: 'missing-context' });
    expect(byContext.attempts[0].error).toMatch(/docker context "missing-context" does not exist/);
  });
});

describe.skipIf(!host)('EngineConnection with the test engine', () => {
  it('connects through DOCKER_HOST and reports image events, debounced', async () => {
    const connection = open({ env: { DOCKER_HOST: host }, debounceMs: 250 });
    const status = await connection.refresh();
    expect(status.state).toBe('connected');
    expect(status.engine).toMatchObject({ host, source: 'DOCKER_HOST', name: 'Docker Engine', apiVersion: '1.41' });
    expect(connection.docker()).toBeDefined();

    const batches: ImageEvent[][] = [];
    const changed = new Promise<void>((resolve) => connection.onImagesChanged((events) => (batches.push(events), resolve())));
    await new Promise((r) => setTimeout(r, 300)); // let the event stream open
    const env = testDockerEnv(host);
    await docker(env, 'tag', SMALL, 'lighter-test/event:1');
    await docker(env, 'tag', SMALL, 'lighter-test/event:2');
    await Promise.race([changed, new Promise((_, reject) => setTimeout(() => reject(new Error('no image event within 10 s')), 10_000))]);
    await new Promise((r) => setTimeout(r, 400));
    await docker(env, 'rmi', 'lighter-test/event:1', 'lighter-test/event:2');
    // Both tags arrived together in one debounced batch.
    expect(batches[0].map((e) => e.action)).toEqual(['tag', 'tag']);
    expect(batches[0][0].id).toMatch(/^sha256:/);
  });

  it('selecting a host typed by the user connects to it', async () => {
    const connection = open({ env: {} });
    const status = await connection.select({ host });
    expect(status).toMatchObject({ state: 'connected', engine: { host, source: 'user', foundBy: 'chosen by you' } });
  });
});

describe('EngineConnection when the engine goes away and comes back', () => {
  let second: TestEngine | undefined;
  afterEach(async () => {
    await second?.stop();
    second = undefined;
  });

  it.skipIf(!hasDockerd() && process.env.CI !== 'true')('goes unreachable, then reconnects on the same socket', async () => {
    second = await startEngine({ own: true });
    const connection = open({ env: { DOCKER_HOST: second.host }, firstRetryMs: 200, maxRetryMs: 1000 });
    expect((await connection.refresh()).state).toBe('connected');
    const reconnected = new Promise<ImageEvent[]>((resolve) => connection.onImagesChanged(resolve));

    const stopping = Date.now();
    await second.stop({ keepDir: true });
    const down = await waitForStatus(connection, (s) => s.state === 'unreachable', 20_000);
    expect(down.attempts[0].error).toMatch(/stopped answering|no engine socket|connection refused/);
    expect(() => connection.docker()).toThrow(expect.objectContaining({ code: 'ENGINE_UNREACHABLE' }));
    const downAfter = Date.now() - stopping;

    const starting = Date.now();
    second = await startEngine({ dir: second.dir, own: true });
    const up = await waitForStatus(connection, (s) => s.state === 'connected', 20_000);
    expect(up.engine?.host).toBe(second.host);
    expect(await reconnected).toEqual([]); // listeners are told to reload after a reconnect
    const upAfter = Date.now() - starting;
    // Backoff is capped at 1 s here: the reconnect follows the engine's start closely.
    expect(upAfter).toBeLessThan(15_000);
    console.log(`engine down noticed ${downAfter} ms after stop began; reconnected ${upAfter} ms after start began`);
  });
});

if (!hasDockerd() && process.env.CI !== 'true') console.warn('SKIPPED: the engine restart test needs dockerd.');

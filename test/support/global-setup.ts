/**
 * Global setup of the integration and e2e projects: ONE throwaway engine with fixture images for the
 * whole run, and the CLI bundle built once so CLI tests run the real `out/cli/lighter.js`.
 */
import { execFile } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { hasDockerd, startEngine, testDockerEnv, type TestEngine } from './engine';
import { buildFixtures } from './fixtures';

// Both projects list this file; when they run together they share one engine.
interface Shared {
  users: number;
  ready: Promise<{ engine?: TestEngine; host: string }>;
}
const key = Symbol.for('lighter.test.engine');
const registry = globalThis as unknown as Record<symbol, Shared | undefined>;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let shared = registry[key];
  if (!shared) {
    shared = { users: 0, ready: prepare() };
    registry[key] = shared;
  }
  shared.users++;
  const { host } = await shared.ready;
  project.provide('dockerHost', host);

  return async () => {
    const current = registry[key]!;
    if (--current.users > 0) return;
    registry[key] = undefined;
    const { engine } = await current.ready;
    await engine?.stop();
  };
}

async function prepare(): Promise<{ engine?: TestEngine; host: string }> {
  await buildCli();
  if (!hasDockerd() && !process.env.LIGHTER_TEST_DOCKER_HOST) {
    if (process.env.CI === 'true') throw new Error('dockerd is not installed: engine tests cannot run in CI');
    console.warn(
      '\n*** WARNING: dockerd is not installed; every test that needs a Docker engine will be SKIPPED. ***\n',
    );
    return { host: '' };
  }
  const started = Date.now();
  const engine = await startEngine();
  try {
    await buildFixtures(testDockerEnv(engine.host));
  } catch (e) {
    await engine.stop();
    throw e;
  }
  console.log(`test engine ${engine.host} ready with fixtures in ${Date.now() - started} ms`);
  return { engine, host: engine.host };
}

function buildCli(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['scripts/build-cli.mjs'], (error, _stdout, stderr) => {
      if (error) reject(new Error(`building the CLI failed: ${stderr || error.message}`));
      else resolve();
    });
  });
}

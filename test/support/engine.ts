/**
 * A throwaway Docker engine for tests: its own data root, exec root and unix socket in a temp dir,
 * no iptables, no bridge, vfs storage. Tests never talk to the user's own engine: the docker CLI
 * always gets DOCKER_HOST and a temp DOCKER_CONFIG from here.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

export interface TestEngine {
  /** unix:///…/docker.sock */
  host: string;
  socketPath: string;
  /** Environment for the docker CLI: DOCKER_HOST and a private DOCKER_CONFIG. */
  env: NodeJS.ProcessEnv;
  /** The temp dir holding everything of this engine (empty when an outside engine is used). */
  dir: string;
  /** Stops the engine; `keepDir` leaves data and socket path for a restart on the same dir. */
  stop(options?: { keepDir?: boolean }): Promise<void>;
}

export function hasDockerd(): boolean {
  return ['/usr/sbin/dockerd', '/usr/bin/dockerd', '/usr/local/bin/dockerd'].some((p) => existsSync(p));
}

/** Environment for running the docker CLI against `host` only (never the user's engine or config). */
export function dockerEnv(host: string, configDir?: string): NodeJS.ProcessEnv {
  const config = configDir ?? mkdtempSync(join(tmpdir(), 'lighter-docker-config-'));
  mkdirSync(config, { recursive: true });
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DOCKER_HOST: host,
    DOCKER_CONFIG: config,
    DOCKER_BUILDKIT: '0',
    DOCKER_CLI_HINTS: 'false',
  };
}

/**
 * Starts a private dockerd, or uses LIGHTER_TEST_DOCKER_HOST when set (then never stops it).
 * Pass `dir` to restart an engine that was stopped with `keepDir` on the same socket, `own` to get a
 * private dockerd even when an outside engine is configured.
 */
export async function startEngine(options: { dir?: string; timeoutMs?: number; own?: boolean } = {}): Promise<TestEngine> {
  const outside = process.env.LIGHTER_TEST_DOCKER_HOST;
  if (outside && !options.dir && !options.own) {
    const socketPath = outside.startsWith('unix://') ? outside.slice('unix://'.length) : '';
    return { host: outside, socketPath, env: dockerEnv(outside), dir: '', stop: async () => {} };
  }
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'lighter-engine-'));
  const socketPath = join(dir, 'docker.sock');
  const pidFile = join(dir, 'docker.pid');
  const host = `unix://${socketPath}`;
  mkdirSync(join(dir, 'config'), { recursive: true });
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  const child = spawn(
    'dockerd',
    [
      '--data-root', join(dir, 'data'),
      '--exec-root', join(dir, 'exec'),
      '-H', host,
      '--pidfile', pidFile,
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      '--storage-driver=vfs',
    ],
    { stdio: ['ignore', log, log], detached: true },
  );
  closeSync(log);
  child.unref();
  let exited = false;
  child.on('exit', () => (exited = true));
  child.on('error', () => (exited = true));

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (!(await ping(socketPath))) {
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill('SIGKILL');
      const tail = safeRead(join(dir, 'dockerd.log')).split('\n').slice(-15).join('\n');
      throw new Error(`dockerd did not start (${exited ? 'it exited' : 'timed out'}); log tail:\n${tail}`);
    }
    await sleep(100);
  }

  const pid = child.pid!;
  const stop = async ({ keepDir = false } = {}): Promise<void> => {
    await stopProcess(pid);
    // dockerd normally stops its containerd; a killed one leaves it behind.
    const containerdPid = Number(safeRead(join(dir, 'exec', 'containerd', 'containerd.pid')).trim());
    if (containerdPid > 0) await stopProcess(containerdPid);
    await unmountUnder(dir);
    if (!keepDir) await run('rm', ['-rf', dir]);
  };
  return { host, socketPath, env: dockerEnv(host, join(dir, 'config')), dir, stop };
}

/** GET /_ping on a unix socket; true when the engine answers OK. */
export function ping(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function stopProcess(pid: number): Promise<void> {
  if (!alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 20_000;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    while (alive(pid)) await sleep(50);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped) still answers signal 0: treat it as gone.
  const stat = safeRead(`/proc/${pid}/stat`);
  return !/^\d+ \(.*\) Z/.test(stat);
}

async function unmountUnder(dir: string): Promise<void> {
  const mounts = safeRead('/proc/mounts')
    .split('\n')
    .map((line) => line.split(' ')[1])
    .filter((m) => m && (m === dir || m.startsWith(dir + '/')))
    .reverse();
  for (const m of mounts) await run('umount', ['-l', m]);
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve) => execFile(cmd, args, () => resolve()));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the docker CLI with exactly `env` (which names the test engine); never throws. */
export function dockerCli(env: NodeJS.ProcessEnv, args: string[], options: { cwd?: string } = {}): Promise<DockerResult> {
  return new Promise((resolve) => {
    execFile('docker', args, { env, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs the docker CLI and returns stdout; throws with stderr when it fails. */
export async function docker(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  const result = await dockerCli(env, args);
  if (result.code !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Environment for the docker CLI against the engine of this run (see global-setup). */
export function testDockerEnv(host: string): NodeJS.ProcessEnv {
  return dockerEnv(host, join(tmpdir(), 'lighter-test-docker-config'));
}

/**
 * The engine host published by the global setup, or '' (with a printed reason) when this machine
 * has no dockerd. Use as `describe.skipIf(!host)`.
 */
export function requireEngine(): string {
  const host = inject('dockerHost');
  if (!host) console.warn('SKIPPED: engine tests need dockerd (not installed here); install docker.io to run them.');
  return host;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** unix://… of the throwaway engine of this run; '' when none could be started. */
    dockerHost: string;
  }
}

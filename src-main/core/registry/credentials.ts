import { spawn } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { LighterError } from '../errors';
import type { Credentials } from './auth';
import { credentialKey } from './hosts';

/**
 * Credentials where docker keeps them: `$DOCKER_CONFIG/config.json` (default ~/.docker), read
 * through `credHelpers[registry]`, then `credsStore`, then `auths[registry]`.
 */
export interface DockerConfig {
  auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [other: string]: unknown;
}

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'), 'config.json');
}

export async function readDockerConfig(env: NodeJS.ProcessEnv = process.env): Promise<DockerConfig> {
  const path = dockerConfigPath(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new LighterError('INVALID_INPUT', `Cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    throw new LighterError('INVALID_INPUT', `${path} is not valid JSON`);
  }
}

async function writeDockerConfig(config: DockerConfig, env: NodeJS.ProcessEnv): Promise<void> {
  const path = dockerConfigPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(config, null, '\t') + '\n', { mode: 0o600 });
  await rename(temp, path);
}

/** The helper program name docker would use for this registry key, if any. */
function helperFor(config: DockerConfig, key: string): string | undefined {
  return config.credHelpers?.[key] || config.credsStore || undefined;
}

/** Runs `docker-credential-<name> <action>` with `input` on stdin; resolves with stdout and exit code. */
function runHelper(name: string, action: 'get' | 'store' | 'erase', input: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const program = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, [action], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.resume(); // helpers may echo what they were given; never surface it.
    child.on('error', (e) => {
      reject(
        new LighterError('AUTH_FAILED', (e as NodeJS.ErrnoException).code === 'ENOENT' ? `Credential helper ${program} is not installed` : `Credential helper ${program} failed to start`),
      );
    });
    child.on('close', (code) => resolve({ code: code ?? 1, out: Buffer.concat(out).toString('utf8') }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

function decodeAuth(entry: NonNullable<DockerConfig['auths']>[string]): Credentials | undefined {
  if (entry.identitytoken) return { identityToken: entry.identitytoken, username: entry.username };
  if (entry.auth) {
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  return undefined;
}

/** Keys to look up in `auths`: docker also accepts URLs with a scheme for the same host. */
function authKeys(key: string): string[] {
  return key.startsWith('https://') ? [key] : [key, `https://${key}`, `http://${key}`, `https://${key}/v1/`, `https://${key}/v2/`];
}

/** Credentials docker would use for `domain` (`docker.io`, `localhost:5000`…), or undefined. */
export async function getCredentials(domain: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  const config = await readDockerConfig(env);
  const key = credentialKey(domain);
  const helper = helperFor(config, key);
  if (helper) {
    const { code, out } = await runHelper(helper, 'get', key, env);
    if (code !== 0) return undefined; // the helper's way of saying "no credentials"
    let parsed: { Username?: string; Secret?: string };
    try {
      parsed = JSON.parse(out);
    } catch {
      throw new LighterError('AUTH_FAILED', `Credential helper docker-credential-${helper} returned invalid output`);
    }
    if (!parsed.Secret) return undefined;
    if (parsed.Username === '<token>') return { identityToken: parsed.Secret };
    return { username: parsed.Username ?? '', password: parsed.Secret };
  }
  for (const k of authKeys(key)) {
    const entry = config.auths?.[k];
    if (entry) return decodeAuth(entry);
  }
  return undefined;
}

/** Stores credentials the way docker would: in the helper if one is configured, else base64 in auths. */
export async function storeCredentials(domain: string, credentials: { username: string; password: string }, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const config = await readDockerConfig(env);
  const key = credentialKey(domain);
  const helper = helperFor(config, key);
  if (helper) {
    const { code } = await runHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username: credentials.username, Secret: credentials.password }), env);
    if (code !== 0) throw new LighterError('AUTH_FAILED', `Credential helper docker-credential-${helper} could not store the credentials`);
    // docker leaves an empty entry in auths so the registry is listed as logged in.
    config.auths = { ...config.auths, [key]: {} };
  } else {
    config.auths = { ...config.auths, [key]: { auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') } };
  }
  await writeDockerConfig(config, env);
  return dockerConfigPath(env);
}

/** Forgets credentials for `domain`; resolves false when there were none. */
export async function eraseCredentials(domain: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const config = await readDockerConfig(env);
  const key = credentialKey(domain);
  const helper = helperFor(config, key);
  let found = false;
  if (helper) {
    const { code } = await runHelper(helper, 'erase', key, env);
    found = code === 0;
  }
  for (const k of authKeys(key)) {
    if (config.auths && k in config.auths) {
      delete config.auths[k];
      found = true;
    }
  }
  if (found) await writeDockerConfig(config, env);
  return found;
}

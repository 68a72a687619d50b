import { LighterError } from '../errors';
import { type Credentials, basicHeader, fetchToken } from './auth';
import { RegistryClient, type RegistryClientOptions } from './client';
import { eraseCredentials, storeCredentials } from './credentials';
import { readLimited } from './http';

/** Registry argument of login/logout: `localhost:5000`, `https://host`, `docker.io`, or none for Docker Hub. */
export function loginDomain(input: string | undefined): string {
  if (!input) return 'docker.io';
  const stripped = input.trim().replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (!stripped) throw new LighterError('INVALID_INPUT', `Invalid registry "${input}"`);
  return stripped === 'index.docker.io' || stripped === 'registry-1.docker.io' ? 'docker.io' : stripped;
}

/** Checks credentials against the registry the way `docker login` does, without storing them. */
export async function verifyCredentials(domain: string, credentials: Credentials, options: RegistryClientOptions = {}, signal?: AbortSignal): Promise<void> {
  const client = new RegistryClient({ ...options, credentials: async () => credentials });
  try {
    const ping = await client.ping(domain, signal);
    if (ping.status === 200) return; // an open registry accepts anyone
    if (ping.authScheme === 'bearer') {
      const challenge = client.challengeFor(domain)!;
      const realmHost = new URL(challenge.params.realm ?? ping.url).host;
      await fetchToken(client.http, challenge, [], credentials, { signal, ca: client.caFor(realmHost) });
      return;
    }
    if (ping.authScheme === 'basic' && 'password' in credentials) {
      const res = await client.http.send({ method: 'GET', url: `${ping.url}/v2/`, headers: { authorization: basicHeader(credentials) }, signal, ca: client.caFor(new URL(ping.url).host) });
      await readLimited(res, 64 * 1024, 'login').catch(() => undefined);
      if (res.status === 200) return;
      throw new LighterError('AUTH_FAILED', `Login to ${domain} failed: incorrect username or password`, { status: res.status });
    }
    throw new LighterError('UNSUPPORTED', `Registry ${domain} asks for an authentication scheme Lighter does not support`);
  } finally {
    await client.close();
  }
}

export async function login(domain: string, credentials: { username: string; password: string }, options: RegistryClientOptions = {}, signal?: AbortSignal): Promise<{ storedIn: string }> {
  await verifyCredentials(domain, credentials, options, signal);
  const storedIn = await storeCredentials(domain, credentials, options.env);
  return { storedIn };
}

export async function logout(domain: string, env?: NodeJS.ProcessEnv): Promise<boolean> {
  return eraseCredentials(domain, env);
}

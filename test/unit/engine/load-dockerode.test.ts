import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadDockerode } from '../../../src-main/core/engine/load-dockerode';

const require = createRequire(import.meta.url);
const fromModem = createRequire(require.resolve('docker-modem', { paths: [require.resolve('dockerode')] }));
const loaded = (request: string, resolver: NodeJS.Require) => require.cache[resolver.resolve(request)] !== undefined;

describe('loading dockerode', () => {
  it('leaves ssh2 and the BuildKit session unloaded until an ssh engine is used, which then works as before', async () => {
    const Dockerode = loadDockerode();
    expect(loadDockerode()).toBe(Dockerode);
    expect(loaded('ssh2', fromModem)).toBe(false);
    expect(loaded('@grpc/grpc-js', createRequire(require.resolve('dockerode')))).toBe(false);

    // An "ssh server" that hangs up at once: the real ssh transport must have tried it.
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    let accepted = 0;
    server.on('connection', () => accepted++);
    try {
      const docker = new Dockerode({ protocol: 'ssh', host: '127.0.0.1', port, username: 'nobody', sshOptions: { readyTimeout: 2000 } } as never);
      await expect(docker.ping()).rejects.toBeInstanceOf(Error);
      expect(accepted).toBe(1);
      expect(loaded('ssh2', fromModem)).toBe(true);
    } finally {
      server.close();
    }
  });
});

/**
 * Which engines get an archive layer by layer, asked of fake engines on a unix socket: Docker's own
 * image store does; Podman and Docker's containerd image store (which need every layer in the tar)
 * and engines that do not answer do not. A real engine judges the load itself in
 * test/integration/layered-load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EngineAccess } from '../../../src-main/core/engine/connect';
import { loadsLayerByLayer } from '../../../src-main/core/transport/layered-load';

const dir = mkdtempSync(join(tmpdir(), 'lighter-layered-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});

/** An engine answering every request with `status`, `headers` and `info` as JSON; records the request lines. */
async function fakeEngine(info: object, headers: Record<string, string> = {}, status = 200): Promise<{ access: EngineAccess; asked: string[] }> {
  const socketPath = join(dir, `engine-${servers.length}-${Date.now()}.sock`);
  const asked: string[] = [];
  const server = createServer((socket) => {
    socket.once('data', (data: Buffer) => {
      asked.push(data.toString('latin1').split('\r\n')[0]);
      const body = JSON.stringify(info);
      const head = Object.entries({ 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...headers }).map(([k, v]) => `${k}: ${v}\r\n`);
      socket.end(`HTTP/1.1 ${status} X\r\n${head.join('')}\r\n${body}`);
    });
    socket.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(socketPath, r));
  return { access: { endpoint: { socketPath, version: 'v1.41' } } as EngineAccess, asked };
}

describe('loadsLayerByLayer', () => {
  it("is true for Docker's own image store, asked with GET /info under the API version", async () => {
    const engine = await fakeEngine({ Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'extfs']] }, { Server: 'Docker/27.5.1 (linux)', 'Api-Version': '1.47' });
    expect(await loadsLayerByLayer(engine.access)).toBe(true);
    expect(engine.asked).toEqual(['GET /v1.41/info HTTP/1.1']);
  });

  it("is false for Docker's containerd image store", async () => {
    const engine = await fakeEngine({ Driver: 'overlayfs', DriverStatus: [['driver-type', 'io.containerd.snapshotter.v1']] });
    expect(await loadsLayerByLayer(engine.access)).toBe(false);
  });

  it('is false for Podman, known by its headers', async () => {
    expect(await loadsLayerByLayer((await fakeEngine({ Driver: 'overlay' }, { 'Libpod-Api-Version': '5.4.0' })).access)).toBe(false);
    expect(await loadsLayerByLayer((await fakeEngine({ Driver: 'overlay' }, { Server: 'Libpod/5.4.0 (linux)' })).access)).toBe(false);
  });

  it('is false when the engine answers with an error, something else than its info, or not at all', async () => {
    expect(await loadsLayerByLayer((await fakeEngine({ message: 'no' }, {}, 500)).access)).toBe(false);
    expect(await loadsLayerByLayer((await fakeEngine({ hello: 'world' })).access)).toBe(false);
    expect(await loadsLayerByLayer({ endpoint: { socketPath: join(dir, 'nobody.sock') } } as EngineAccess)).toBe(false);
  });
});

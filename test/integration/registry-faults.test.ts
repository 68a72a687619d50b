import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Descriptor } from '../../src-main/core/image/types';
import { parseReference } from '../../src-main/core/ref/reference';
import { downloadBlobToFile } from '../../src-main/core/registry/blob-download';
import { fetchBlob } from '../../src-main/core/registry/blobs';
import { RegistryClient, type RegistryClientOptions } from '../../src-main/core/registry/client';
import { getManifest } from '../../src-main/core/registry/manifests';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { type TestRegistry, defaultUser, pushTestImage, registryAvailable, startRegistry } from '../support/registry';

const available = registryAvailable();
const blobGet = /^GET \/v2\/faults\/app\/blobs\//;

function sha(data: Buffer): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe.skipIf(!available)('blob and manifest downloads through a faulty network', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let layer: Descriptor;
  let layerBytes: Buffer;
  let dir: string;
  const clients: RegistryClient[] = [];
  const ref = () => parseReference(`${proxy.host}/faults/app:v1`);
  const client = (options: RegistryClientOptions = {}) => {
    const c = new RegistryClient({
      credentials: async () => undefined,
      retry: { attempts: 4, baseDelayMs: 20, maxDelayMs: 100, maxRetryAfterMs: 5000, ...options.retry },
      timeouts: { connectTimeoutMs: 2000, idleTimeoutMs: 400, ...options.timeouts },
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    registry = await startRegistry();
    const pushed = await pushTestImage(registry.host, 'faults/app', 'v1', { layers: 1, layerSize: 2_000_000 });
    layer = pushed.manifest.layers[0];
    layerBytes = pushed.blobs.get(layer.digest)!;
    proxy = await startFaultProxy(registry.host);
    dir = mkdtempSync(join(tmpdir(), 'lighter-faults-'));
  });
  afterEach(async () => {
    proxy.clear();
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('retries a burst of 5xx answers', async () => {
    proxy.inject({ match: blobGet, fault: { kind: 'status', status: 503 }, times: 2 });
    const data = await collect(fetchBlob(client(), ref(), layer));
    expect(sha(data)).toBe(layer.digest);
    expect(proxy.log.filter((e) => blobGet.test(`${e.method} ${e.path}`)).map((e) => e.status)).toEqual([503, 503, 200]);
  });

  it('waits as long as Retry-After says on 429, within the cap', async () => {
    proxy.inject({ match: blobGet, fault: { kind: 'status', status: 429, retryAfter: '1' } });
    let started = Date.now();
    expect(sha(await collect(fetchBlob(client(), ref(), layer)))).toBe(layer.digest);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);

    proxy.inject({ match: blobGet, fault: { kind: 'status', status: 429, retryAfter: '3600' } });
    started = Date.now();
    expect(sha(await collect(fetchBlob(client({ retry: { maxRetryAfterMs: 150 } }), ref(), layer)))).toBe(layer.digest);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('resumes with Range after a connection reset, without fetching bytes twice', async () => {
    proxy.inject({ match: blobGet, fault: { kind: 'reset', afterBytes: 700_000 } });
    const data = await collect(fetchBlob(client(), ref(), layer));
    expect(sha(data)).toBe(layer.digest);
    const gets = proxy.log.filter((e) => blobGet.test(`${e.method} ${e.path}`));
    expect(gets).toHaveLength(2);
    expect(gets[0].bytes).toBe(700_000);
    // The reset may destroy bytes the client had not read yet; it asks for exactly what it lacks.
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1].range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(700_000);
    expect(gets[1].bytes).toBe(layer.size - resumedAt);
  });

  it('notices a stall (idle timeout) and resumes', async () => {
    proxy.inject({ match: blobGet, fault: { kind: 'stall', afterBytes: 500_000 } });
    const started = Date.now();
    expect(sha(await collect(fetchBlob(client(), ref(), layer)))).toBe(layer.digest);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(proxy.log.filter((e) => blobGet.test(`${e.method} ${e.path}`))[1].range).toBe('bytes=500000-');
    expect(proxy.bytesServed(blobGet)).toBe(layer.size);
  });

  it('fails with DIGEST_MISMATCH on a corrupted body, never silently', async () => {
    proxy.inject({ match: blobGet, fault: { kind: 'corrupt', atByte: 1234 } });
    await expect(collect(fetchBlob(client(), ref(), layer))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });

  it('unverified (whoever keeps the bytes checks them): resumes the same way, and passes bytes on unhashed', async () => {
    proxy.inject({ match: blobGet, fault: { kind: 'reset', afterBytes: 700_000 } });
    expect(sha(await collect(fetchBlob(client(), ref(), layer, { verify: false })))).toBe(layer.digest);
    expect(proxy.log.filter((e) => blobGet.test(`${e.method} ${e.path}`))[1].range).toMatch(/^bytes=\d+-$/);
    proxy.clear();
    proxy.inject({ match: blobGet, fault: { kind: 'corrupt', atByte: 1234 } });
    const corrupted = await collect(fetchBlob(client(), ref(), layer, { verify: false }));
    expect(corrupted).toHaveLength(layer.size);
    expect(corrupted.equals(layerBytes)).toBe(false);
  });

  it('gives up after the bounded number of attempts with a clear error', async () => {
    proxy.inject({ match: blobGet, fault: { kind: 'status', status: 503 }, times: Infinity });
    await expect(collect(fetchBlob(client(), ref(), layer))).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringContaining('HTTP 503') });
    expect(proxy.log.filter((e) => blobGet.test(`${e.method} ${e.path}`))).toHaveLength(4);
    proxy.clear();

    proxy.inject({ match: blobGet, fault: { kind: 'reset', afterBytes: 1000 }, times: Infinity });
    await expect(collect(fetchBlob(client(), ref(), layer))).rejects.toMatchObject({ code: 'NETWORK', message: expect.stringContaining('gave up after 4 attempts') });
  });

  it('retries manifests too, and refuses a corrupted manifest', async () => {
    const manifestGet = /^GET \/v2\/faults\/app\/manifests\/v1/;
    proxy.inject({ match: manifestGet, fault: { kind: 'status', status: 502 }, times: 2 });
    expect((await getManifest(client(), ref(), 'v1')).document.kind).toBe('manifest');
    proxy.inject({ match: manifestGet, fault: { kind: 'corrupt', atByte: 20 } });
    await expect(getManifest(client(), ref(), 'v1')).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });

  it('keeps a partial download and resumes it later from the bytes on disk', async () => {
    const dest = join(dir, 'resumed.blob');
    proxy.inject({ match: blobGet, fault: { kind: 'reset', afterBytes: 600_000 } });
    await expect(downloadBlobToFile(client({ retry: { attempts: 1 } }), ref(), layer, dest)).rejects.toMatchObject({ code: 'NETWORK' });
    expect(existsSync(dest)).toBe(false);
    const kept = statSync(`${dest}.partial`).size; // what the client had read before the reset
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(600_000);
    proxy.clear();

    const result = await downloadBlobToFile(client(), ref(), layer, dest);
    expect(result.resumedFrom).toBe(kept);
    expect(proxy.bytesServed(blobGet)).toBe(layer.size - kept);
    expect(sha(readFileSync(dest))).toBe(layer.digest);
    expect(existsSync(`${dest}.partial`)).toBe(false);
  });

  it('starts over when the bytes already on disk turn out wrong', async () => {
    const dest = join(dir, 'bad-partial.blob');
    const garbage = Buffer.from(layerBytes.subarray(0, 100_000));
    garbage[5] ^= 0xff;
    writeFileSync(`${dest}.partial`, garbage);
    const result = await downloadBlobToFile(client(), ref(), layer, dest);
    expect(result.resumedFrom).toBe(0);
    expect(sha(readFileSync(dest))).toBe(layer.digest);
  });

  it('cancels promptly during a stall', async () => {
    proxy.inject({ match: blobGet, fault: { kind: 'stall', afterBytes: 100_000 } });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    await expect(collect(fetchBlob(client({ timeouts: { idleTimeoutMs: 30_000 } }), ref(), layer, { signal: controller.signal }))).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe.skipIf(!available)('redirects', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  const seen: IncomingHttpHeaders[] = [];
  let blob: Buffer = Buffer.alloc(0);
  const cdn = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-length': String(blob.length) }).end(blob);
  });

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd' });
    proxy = await startFaultProxy(registry.host);
    await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    cdn.close();
    await proxy?.stop();
    await registry?.stop();
  });

  it('drops Authorization when a blob redirects to another host', async () => {
    const creds = { username: defaultUser.username, password: defaultUser.password };
    const pushed = await pushTestImage(registry.host, 'redir/app', 'v1', { layers: 1, layerSize: 5000, client: { credentials: async () => creds } });
    const layer = pushed.manifest.layers[0];
    blob = pushed.blobs.get(layer.digest)!;
    const port = (cdn.address() as { port: number }).port;
    proxy.inject({ match: /^GET \/v2\/redir\/app\/blobs\//, fault: { kind: 'redirect', location: `http://127.0.0.1:${port}/cdn/blob?sig=1` } });
    const client = new RegistryClient({ credentials: async () => creds });
    try {
      const ref = parseReference(`${proxy.host}/redir/app:v1`);
      await getManifest(client, ref, 'v1'); // learns that the registry wants Basic auth
      expect(sha(await collect(fetchBlob(client, ref, layer)))).toBe(layer.digest);
      const blobRequest = proxy.log.find((e) => e.status === 307);
      expect(blobRequest).toBeDefined();
      expect(seen).toHaveLength(1);
      expect(seen[0].authorization).toBeUndefined();
    } finally {
      await client.close();
    }
  });
});

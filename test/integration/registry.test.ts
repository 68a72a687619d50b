import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { parseReference } from '../../src-main/core/ref/reference';
import { RegistryClient } from '../../src-main/core/registry/client';
import { getManifest, resolveImage, headManifest } from '../../src-main/core/registry/manifests';
import { blobExists, fetchBlob } from '../../src-main/core/registry/blobs';
import { listTags } from '../../src-main/core/registry/tags';
import { uploadBlob } from '../../src-main/core/registry/upload';
import { type TestRegistry, pushTestImage, pushTestIndex, registryAvailable, startRegistry, buildImage } from '../support/registry';
import { sha256 } from '../../src-main/core/image/digest';

const available = registryAvailable();

describe.skipIf(!available)('registry client against a real registry (anonymous http)', () => {
  let registry: TestRegistry;
  let client: RegistryClient;

  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryClient({ credentials: async () => undefined });
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  it('pushes an image and reads it back byte for byte', async () => {
    const pushed = await pushTestImage(registry.host, 'team/app', 'v1', { layers: 3, layerSize: 100_000 });
    const ref = parseReference(pushed.ref);
    const got = await getManifest(client, ref, 'v1');
    expect(got.digest).toBe(pushed.manifestDigest);
    expect(got.document.kind).toBe('manifest');
    for (const layer of pushed.manifest.layers) {
      const chunks: Buffer[] = [];
      for await (const c of fetchBlob(client, ref, layer)) chunks.push(c as Buffer);
      expect(sha256(Buffer.concat(chunks))).toBe(layer.digest);
    }
    const head = await headManifest(client, ref, 'v1');
    expect(head?.digest).toBe(pushed.manifestDigest);
    expect(await headManifest(client, ref, 'nope')).toBeUndefined();
  });

  it('skopeo reads what we pushed (an outside judge)', async () => {
    const pushed = await pushTestImage(registry.host, 'judge', 'v1');
    const out = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${pushed.ref}`], { encoding: 'utf8' });
    expect(sha256(out)).toBe(pushed.manifestDigest);
  });

  it('uploads in PATCH chunks and mounts across repositories', async () => {
    const image = buildImage({ layers: 1, layerSize: 300_000 });
    const [digest, bytes] = [...image.blobs].find(([, b]) => b.length > 1000)!;
    const a = parseReference(`${registry.host}/chunks/a`);
    const b = parseReference(`${registry.host}/chunks/b`);
    const desc = { mediaType: 'application/octet-stream', digest, size: bytes.length };
    let progress = 0;
    expect(await uploadBlob(client, a, desc, () => bytes, { chunkSize: 64 * 1024, onProgress: (n) => (progress = n) })).toBe('uploaded');
    expect(progress).toBe(bytes.length);
    expect(await uploadBlob(client, a, desc, () => bytes)).toBe('exists');
    expect(await blobExists(client, b, digest)).toBe(false);
    expect(await uploadBlob(client, b, desc, () => bytes, { mountFrom: 'chunks/a' })).toBe('mounted');
    expect(await blobExists(client, b, digest)).toBe(true);
  });

  it('lists tags across pages', async () => {
    for (const tag of ['t1', 't2', 't3', 't4', 't5']) await pushTestImage(registry.host, 'paged', tag, { layers: 1, layerSize: 10 });
    const tags = await listTags(client, parseReference(`${registry.host}/paged`), { pageSize: 2 });
    expect(tags.sort()).toEqual(['t1', 't2', 't3', 't4', 't5']);
  });

  it('picks the platform from an index and skips attestations', async () => {
    const pushed = await pushTestIndex(registry.host, 'multi', 'v1', [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ], { attestation: true });
    const ref = parseReference(pushed.ref);
    const arm = await resolveImage(client, ref, { platform: { os: 'linux', architecture: 'arm64' } });
    expect(arm.index?.digest).toBe(pushed.indexDigest);
    expect(arm.manifest.digest).toBe(pushed.images[1].manifestDigest);
    const amd = await resolveImage(client, ref, { platform: { os: 'linux', architecture: 'amd64' } });
    expect(amd.manifest.digest).toBe(pushed.images[0].manifestDigest);
    await expect(resolveImage(client, ref, { platform: { os: 'linux', architecture: 's390x' } })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('available: linux/amd64, linux/arm64/v8'),
    });
  });

  it('reports a missing repository or tag as NOT_FOUND', async () => {
    await expect(getManifest(client, parseReference(`${registry.host}/missing/repo`), 'latest')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses a manifest whose bytes do not match the digest asked for', async () => {
    const pushed = await pushTestImage(registry.host, 'pinned', 'v1', { layers: 1, layerSize: 10 });
    const ref = parseReference(pushed.ref);
    // Asking by a digest the registry does not have: NOT_FOUND; by the right one: fine.
    await expect(getManifest(client, ref, 'sha256:' + '0'.repeat(64))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await getManifest(client, ref, pushed.manifestDigest)).digest).toBe(pushed.manifestDigest);
  });
});

describe('Docker Hub specifics', () => {
  it('surfaces rate-limit headers from manifest responses', async () => {
    const { createServer } = await import('node:http');
    const body = Buffer.from(JSON.stringify(buildImage({ layers: 1, layerSize: 10 }).manifest));
    const server = createServer((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      res.writeHead(200, {
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
        'docker-content-digest': sha256(body),
        'ratelimit-limit': '100;w=21600',
        'ratelimit-remaining': '42;w=21600',
      });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new RegistryClient({ credentials: async () => undefined });
    try {
      const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
      const got = await getManifest(client, parseReference(`${host}/library/x`), 'latest');
      expect(got.rateLimit).toEqual({ limit: 100, remaining: 42, windowSeconds: 21600 });
    } finally {
      await client.close();
      server.close();
    }
  });
});

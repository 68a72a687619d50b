import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/registry-tools';
import { runCliCaptured } from '../support/cli';
import { type PushedIndex, type TestRegistry, pushTestIndex, registryAvailable, startRegistry } from '../support/registry';

const available = registryAvailable();

describe.skipIf(!available)('lighter manifest / digest / tags on a multi-platform image', () => {
  let registry: TestRegistry;
  let pushed: PushedIndex;
  beforeAll(async () => {
    registry = await startRegistry();
    pushed = await pushTestIndex(registry.host, 'cli/multi', 'v1', [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ], { attestation: true });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  const size = (i: number) => pushed.images[i].manifest.config.size + pushed.images[i].manifest.layers.reduce((n, l) => n + l.size, 0);

  it('lists the platforms of an index with digests and fetched sizes', async () => {
    const r = await runCliCaptured(['manifest', pushed.ref, '--json']);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ kind: 'index', digest: pushed.indexDigest, mediaType: 'application/vnd.oci.image.index.v1+json' });
    expect(out.manifests).toEqual([
      expect.objectContaining({ platform: 'linux/amd64', digest: pushed.images[0].manifestDigest, size: size(0), attestation: false }),
      expect.objectContaining({ platform: 'linux/arm64/v8', digest: pushed.images[1].manifestDigest, size: size(1), attestation: false }),
      expect.objectContaining({ platform: 'unknown/unknown', attestation: true, size: null }),
    ]);
    const text = await runCliCaptured(['manifest', pushed.ref]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/PLATFORM\s+DIGEST\s+SIZE/);
    expect(text.stdout).toMatch(new RegExp(`linux/arm64/v8\\s+${pushed.images[1].manifestDigest}`));
    expect(text.stdout).toContain('(attestation)');
  });

  it('shows one platform\'s manifest with --platform', async () => {
    const r = await runCliCaptured(['manifest', pushed.ref, '--platform', 'linux/arm64', '--json']);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ kind: 'manifest', digest: pushed.images[1].manifestDigest, platform: 'linux/arm64/v8', size: size(1) });
    expect(out.layers).toHaveLength(1);
    const missing = await runCliCaptured(['manifest', pushed.ref, '--platform', 'linux/s390x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^lighter manifest: No image for platform linux\/s390x \(available: linux\/amd64, linux\/arm64\/v8\)\n$/);
    const bad = await runCliCaptured(['manifest', pushed.ref, '--platform', 'linux']);
    expect(bad.code).toBe(2);
  });

  it('prints the digest and the tags', async () => {
    expect((await runCliCaptured(['digest', pushed.ref])).stdout).toBe(`${pushed.indexDigest}\n`);
    expect((await runCliCaptured(['tags', `${registry.host}/cli/multi`])).stdout).toBe('v1\n');
    const missing = await runCliCaptured(['digest', `${registry.host}/cli/none:v1`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not found/);
    const invalid = await runCliCaptured(['digest', `${registry.host}/Cli/none`]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/must be lowercase/);
  });
});

describe('lighter search', () => {
  const queries: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    queries.push(new URL(req.url ?? '/', 'http://x').searchParams);
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        num_results: 3,
        query: 'busybox',
        results: [
          { name: 'busybox', description: 'Busybox base image.', star_count: 3000, is_official: true, is_automated: false },
          { name: 'someone/busybox-tools', description: 'Tools', star_count: 12, is_official: false, is_automated: false },
          { name: 'other/busybox', description: 'x'.repeat(100), star_count: 2, is_official: false, is_automated: true },
        ],
      }),
    );
  });
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    env = { ...process.env, LIGHTER_SEARCH_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/search` };
  });
  afterAll(() => {
    server.close();
  });

  it('queries the index and filters client-side', async () => {
    const all = await runCliCaptured(['search', 'busybox', '--json', '--limit', '10'], env);
    expect(JSON.parse(all.stdout).map((r: { name: string }) => r.name)).toEqual(['busybox', 'someone/busybox-tools', 'other/busybox']);
    expect(queries.at(-1)?.get('q')).toBe('busybox');
    expect(queries.at(-1)?.get('n')).toBe('10');
    const official = await runCliCaptured(['search', 'busybox', '--official', '--json'], env);
    expect(JSON.parse(official.stdout)).toEqual([{ name: 'busybox', description: 'Busybox base image.', stars: 3000, official: true, automated: false }]);
    const starred = await runCliCaptured(['search', 'busybox', '--stars', '10', '--json'], env);
    expect(JSON.parse(starred.stdout)).toHaveLength(2);
    const text = await runCliCaptured(['search', 'busybox'], env);
    expect(text.stdout).toMatch(/^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL\n/);
    expect(text.stdout).toMatch(/busybox\s+Busybox base image\.\s+3000\s+\[OK\]/);
    expect((await runCliCaptured(['search', 'busybox', '--limit', '0'], env)).code).toBe(2);
  });

  it('says clearly when the search service cannot be reached', async () => {
    const port = await freePort();
    const r = await runCliCaptured(['search', 'busybox'], { ...process.env, LIGHTER_SEARCH_URL: `http://127.0.0.1:${port}/v1/search` });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`lighter search: Search is unavailable (offline?): Cannot reach 127.0.0.1:${port}: connection refused\n`);
  });
});

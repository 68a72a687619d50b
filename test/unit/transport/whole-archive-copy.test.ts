import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyArchive } from '../../../src-main/core/archive/read-archive';
import { LighterError } from '../../../src-main/core/errors';
import { ArchiveSource } from '../../../src-main/core/transport/archive-source';
import { copyImage } from '../../../src-main/core/transport/copy';
import { DockerArchiveFileDestination } from '../../../src-main/core/transport/docker-archive-file';
import type { ArchiveStream } from '../../../src-main/core/transport/types';
import { legacyDockerArchive, makeImage, randomLayer } from '../../support/archive-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'lighter-whole-copy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An archive file that also hands itself out as one stream, the way an engine's save does. */
class SavingSource extends ArchiveSource {
  constructor(
    path: string,
    private readonly open: () => Readable = () => createReadStream(path, { highWaterMark: 16 * 1024 }),
  ) {
    super(`saving:${path}`, path);
  }
  override async archiveStream(): Promise<ArchiveStream> {
    return { stream: this.open() };
  }
}

async function fixture(name: string): Promise<string> {
  const image = makeImage('app:1', [await randomLayer(6, 32 * 1024), await randomLayer()], { docker: true });
  const path = join(dir, name);
  writeFileSync(path, await legacyDockerArchive([image]));
  return path;
}

const files = () => readdirSync(dir);

describe('copyImage with a source that hands out a whole archive', () => {
  it('takes the one-pass path into a docker-archive file and returns the digest the archive source gives', async () => {
    const input = await fixture('in.tar');
    const source = new SavingSource(input);
    const out = join(dir, 'out.tar');
    const progress: number[] = [];
    const job = { progress: (p: { current?: number }) => p.current !== undefined && progress.push(p.current), item: () => undefined };
    const result = await copyImage(source, new DockerArchiveFileDestination('docker-archive:out', out, ['renamed:2']), { job });
    expect(result.streamed).toBe(true);
    expect(result.digest).toBe((await source.topManifest()).digest);
    expect(result.blobsCopied).toBe(3);
    expect(progress.at(-1)).toBeGreaterThan(0);
    const { contents } = await verifyArchive(out);
    expect(contents.images[0].names).toEqual(['renamed:2']);
    expect(files().filter((f) => f.includes('.partial-'))).toEqual([]);
  });

  it('keeps the blob-by-blob path when platforms are asked for', async () => {
    const input = await fixture('in-platforms.tar');
    const result = await copyImage(new SavingSource(input), new DockerArchiveFileDestination('d', join(dir, 'platforms.tar'), []), { platforms: 'all' });
    expect(result.streamed).toBeUndefined();
    expect(existsSync(join(dir, 'platforms.tar'))).toBe(true);
  });

  it('leaves nothing behind when the stream breaks or the copy is cancelled', async () => {
    const input = await fixture('in-broken.tar');
    const broken = new SavingSource(input, () => {
      const stream = createReadStream(input, { highWaterMark: 16 * 1024, end: 100_000 });
      const out = new Readable({ read() {} });
      stream.on('data', (chunk) => out.push(chunk)).on('end', () => out.destroy(new Error('connection reset')));
      return out;
    });
    const target = join(dir, 'broken.tar');
    const error = await copyImage(broken, new DockerArchiveFileDestination('d', target, [])).catch((e: unknown) => e);
    expect((error as LighterError).code).toBe('ARCHIVE_INVALID');
    expect((error as LighterError).message).toMatch(/broke off: connection reset/);
    expect(existsSync(target)).toBe(false);

    const controller = new AbortController();
    const job = { progress: (p: { current?: number }) => (p.current ?? 0) > 50_000 && controller.abort(), item: () => undefined };
    const cancelled = join(dir, 'cancelled.tar');
    const stopped = await copyImage(new SavingSource(input), new DockerArchiveFileDestination('d', cancelled, []), { job, signal: controller.signal }).catch((e: unknown) => e);
    expect((stopped as LighterError).code).toBe('CANCELLED');
    expect(existsSync(cancelled)).toBe(false);
    expect(files().filter((f) => f.includes('.partial-'))).toEqual([]);
  });
});

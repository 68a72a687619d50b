import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PinnedFile } from '../../../src-main/core/archive/pinned-file';
import { LighterError } from '../../../src-main/core/errors';

const dir = mkdtempSync(join(tmpdir(), 'lighter-pinned-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function drain(file: PinnedFile): Promise<{ data: Buffer; error?: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const chunk of file.stream()) parts.push(chunk as Buffer);
  } catch (error) {
    return { data: Buffer.concat(parts), error };
  }
  return { data: Buffer.concat(parts) };
}

describe('PinnedFile', () => {
  const content = randomBytes(2.5 * 1024 * 1024);

  it('a missing file is NOT_FOUND, named as the archive reader names it', async () => {
    const missing = join(dir, 'missing.tar');
    await expect(PinnedFile.open(missing)).rejects.toMatchObject({ code: 'NOT_FOUND', message: `Cannot open ${missing}: ENOENT` });
  });

  it('streams the file as it is while it is unchanged', async () => {
    const path = join(dir, 'same.tar');
    writeFileSync(path, content);
    const { data, error } = await drain(await PinnedFile.open(path));
    expect(error).toBeUndefined();
    expect(data.equals(content)).toBe(true);
  });

  it('a write after pinning fails the stream before its last chunk', async () => {
    const path = join(dir, 'written.tar');
    writeFileSync(path, content);
    const file = await PinnedFile.open(path);
    await new Promise((r) => setTimeout(r, 20)); // past the file system's timestamp granularity
    appendFileSync(path, Buffer.from('more'));
    const { data, error } = await drain(file);
    expect((error as LighterError).code).toBe('DIGEST_MISMATCH');
    expect(data.length).toBeLessThan(content.length);
  });

  it('another file renamed over the path is noticed too', async () => {
    const path = join(dir, 'replaced.tar');
    writeFileSync(path, content);
    const file = await PinnedFile.open(path);
    writeFileSync(join(dir, 'other.tar'), content);
    renameSync(join(dir, 'other.tar'), path);
    await expect(file.checkUnchanged()).rejects.toThrow(/changed while it was being read/);
    await file.close();
  });
});

import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli';

describe('lighter ref', () => {
  it('prints one JSON object per input with exactly the documented keys', async () => {
    const r = await runCliCaptured(['ref', '--json', 'ubuntu', 'localhost:5000/app:v1', 'Bad']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { input: 'ubuntu', name: 'docker.io/library/ubuntu', domain: 'docker.io', path: 'library/ubuntu', tag: 'latest', digest: null, familiar: 'ubuntu:latest' },
      { input: 'localhost:5000/app:v1', name: 'localhost:5000/app', domain: 'localhost:5000', path: 'app', tag: 'v1', digest: null, familiar: 'localhost:5000/app:v1' },
      { input: 'Bad', error: expect.stringContaining('must be lowercase') },
    ]);
  });

  it('keeps the tag null when only a digest is given', async () => {
    const digest = 'sha256:' + 'b'.repeat(64);
    const r = await runCliCaptured(['ref', '--json', `user/app@${digest}`]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ tag: null, digest, familiar: `user/app@${digest}` });
  });

  it('prints an aligned listing without --json and exits 0 when all are valid', async () => {
    const r = await runCliCaptured(['ref', 'ubuntu:22.04', 'quay.io/team/app']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^INPUT\s+NAME\s+TAG\s+DIGEST\s+FAMILIAR$/);
    expect(lines[1]).toMatch(/^ubuntu:22\.04\s+docker\.io\/library\/ubuntu\s+22\.04\s+-\s+ubuntu:22\.04$/);
    expect(lines[0].indexOf('NAME')).toBe(lines[2].indexOf('quay.io/team/app', 5));
  });

  it('exits 2 without arguments', async () => {
    expect((await runCliCaptured(['ref'])).code).toBe(2);
  });
});

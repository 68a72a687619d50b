import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ask, confirm } from '../../../src-main/cli/prompt';

function terminal() {
  const rawModes: boolean[] = [];
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (raw: boolean) => rawModes.push(raw) });
  const stdout = new PassThrough();
  let shown = '';
  stdout.on('data', (c: Buffer) => (shown += c.toString()));
  return { io: { stdin, stdout, stderr: new PassThrough(), env: {} }, stdin, rawModes, shown: () => shown };
}

describe('terminal prompts', () => {
  it('keeps answers typed ahead for the next question', async () => {
    const t = terminal();
    t.stdin.write('alice\nhunter2\n');
    expect(await ask(t.io, 'Username: ')).toBe('alice');
    expect(await ask(t.io, 'Password: ', { secret: true })).toBe('hunter2');
    expect(t.shown()).toBe('Username: Password: \n');
  });

  it('turns the terminal echo off only while a secret is typed', async () => {
    const t = terminal();
    const answer = ask(t.io, 'Password: ', { secret: true });
    expect(t.rawModes).toEqual([true]);
    t.stdin.write('s3cret\r');
    expect(await answer).toBe('s3cret');
    expect(t.rawModes).toEqual([true, false]);
    const name = ask(t.io, 'Name: ');
    t.stdin.write('bob\n');
    expect(await name).toBe('bob');
    expect(t.rawModes).toEqual([true, false]);
  });

  it('confirms only on y or yes, and treats the end of input as no', async () => {
    const t = terminal();
    t.stdin.write('Y\nno\n');
    expect(await confirm(t.io, '? ')).toBe(true);
    expect(await confirm(t.io, '? ')).toBe(false);
    t.stdin.end();
    expect(await confirm(t.io, '? ')).toBe(false);
  });
});

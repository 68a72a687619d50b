import { createInterface, type Interface } from 'node:readline';
import type { CliIO } from './command';

export function isInteractive(io: CliIO): boolean {
  return (io.stdin as { isTTY?: boolean }).isTTY === true;
}

interface Session {
  rl: Interface;
  lines: string[];
  waiting?: (line: string) => void;
  ended: boolean;
}

// One reader per input stream: answers typed ahead (or piped) must not be lost between questions.
const sessions = new WeakMap<object, Session>();

function session(io: CliIO): Session {
  let s = sessions.get(io.stdin);
  if (s) return s;
  // The terminal echoes what is typed (cooked mode); readline only splits lines.
  const rl = createInterface({ input: io.stdin, terminal: false });
  s = { rl, lines: [], ended: false };
  const current = s;
  rl.on('line', (line) => {
    if (current.waiting) {
      const resolve = current.waiting;
      current.waiting = undefined;
      resolve(line);
    } else current.lines.push(line);
  });
  rl.on('close', () => {
    current.ended = true;
    current.waiting?.('');
    current.waiting = undefined;
  });
  sessions.set(io.stdin, s);
  return s;
}

/** Asks one question and resolves with the answer line ('' when input ends); secrets are not echoed. */
export async function ask(io: CliIO, question: string, { secret = false } = {}): Promise<string> {
  io.stdout.write(question);
  const s = session(io);
  // Raw mode turns the terminal's echo off while a secret is typed.
  const tty = io.stdin as { isTTY?: boolean; setRawMode?: (raw: boolean) => void };
  const hide = secret && tty.isTTY === true && typeof tty.setRawMode === 'function';
  if (hide) tty.setRawMode!(true);
  s.rl.resume();
  try {
    if (s.lines.length) return s.lines.shift()!;
    if (s.ended) return '';
    return await new Promise<string>((resolve) => (s.waiting = resolve));
  } finally {
    if (hide) tty.setRawMode!(false);
    // A paused reader does not keep the process alive once the command is done.
    s.rl.pause();
    if (secret) io.stdout.write('\n');
  }
}

export async function confirm(io: CliIO, question: string): Promise<boolean> {
  return /^y(es)?$/i.test((await ask(io, question)).trim());
}

import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';
import type { CliIO } from './command';

export function isInteractive(io: CliIO): boolean {
  return (io.stdin as { isTTY?: boolean }).isTTY === true;
}

interface Session {
  rl: Interface;
  lines: string[];
  waiting?: (line: string) => void;
  ended: boolean;
  /** While true, what is typed is not echoed (passwords). */
  muted: boolean;
}

// One reader per input stream: answers typed ahead (or piped) must not be lost between questions.
const sessions = new WeakMap<object, Session>();

function session(io: CliIO): Session {
  let s = sessions.get(io.stdin);
  if (s) return s;
  const echo = new Writable({
    write(chunk, _encoding, done) {
      if (!s!.muted) io.stdout.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: io.stdin, output: echo, terminal: isInteractive(io) });
  s = { rl, lines: [], ended: false, muted: false };
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
  s.muted = secret;
  s.rl.resume();
  try {
    if (s.lines.length) return s.lines.shift()!;
    if (s.ended) return '';
    return await new Promise<string>((resolve) => (s.waiting = resolve));
  } finally {
    s.muted = false;
    // A paused reader does not keep the process alive once the command is done.
    s.rl.pause();
    if (secret) io.stdout.write('\n');
  }
}

export async function confirm(io: CliIO, question: string): Promise<boolean> {
  return /^y(es)?$/i.test((await ask(io, question)).trim());
}

import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../src-main/cli/main';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `lighter ARGV…` in-process with captured output; `stdin` feeds the command's standard input. */
export async function runCliCaptured(argv: string[], env: NodeJS.ProcessEnv = process.env, stdin = ''): Promise<CliResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (b: Buffer) => out.push(b));
  stderr.on('data', (b: Buffer) => err.push(b));
  const code = await runCli(argv, { stdout, stderr, stdin: Readable.from([Buffer.from(stdin)]), env });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

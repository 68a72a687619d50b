/** Runs the `lighter` CLI in tests: in-process with captured streams, or the built bundle as a child. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../src-main/cli/main';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const builtCliPath = fileURLToPath(new URL('../../out/cli/lighter.js', import.meta.url));

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** `runCli` in this process; stdin is `input`, a TTY only when `options.tty` says so. */
export async function runCliCaptured(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  input = '',
  options: { tty?: boolean } = {},
): Promise<CliResult> {
  const out = capture();
  const err = capture();
  const stdin = Object.assign(Readable.from([input]), { isTTY: options.tty ? true : undefined });
  const code = await runCli(argv, { stdout: out.stream, stderr: err.stream, stdin, env });
  return { code, stdout: out.text(), stderr: err.text() };
}

/** `node out/cli/lighter.js` (built by the global setup) with exactly `env` plus PATH. */
export function runBuiltCli(argv: string[], env: NodeJS.ProcessEnv, input = ''): Promise<CliResult> {
  if (!existsSync(builtCliPath)) throw new Error(`${builtCliPath} is missing: run node scripts/build-cli.mjs`);
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [builtCliPath, ...argv],
      { env: { PATH: process.env.PATH, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input);
  });
}

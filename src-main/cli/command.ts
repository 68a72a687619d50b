import type { ParseArgsConfig } from 'node:util';

/** What a command may touch: streams and environment, so tests can run commands in-process. */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

export type CliOptions = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export interface Command {
  /** The word after `lighter`. */
  name: string;
  /** One line for `lighter help`. */
  summary: string;
  /** e.g. `lighter tag SOURCE TARGET` */
  usage: string;
  options?: CliOptions;
  /** Resolves to the exit code (0 when omitted). Throw LighterError for a one-line failure. */
  run(args: ParsedArgs, io: CliIO): Promise<number | void>;
}

export function writeLine(stream: NodeJS.WritableStream, line = ''): void {
  stream.write(line + '\n');
}

export function printJson(io: CliIO, value: unknown): void {
  writeLine(io.stdout, JSON.stringify(value, null, 2));
}

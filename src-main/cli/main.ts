import { parseArgs } from 'node:util';
import { LighterError, toErrorValue } from '../core/errors';
import type { CliIO, Command } from './command';
import { writeLine } from './command';
import { commands } from './commands';

function help(io: CliIO): void {
  writeLine(io.stdout, 'Usage: lighter COMMAND [OPTIONS]\n\nCommands:');
  const width = Math.max(...commands.map((c) => c.name.length));
  for (const c of commands) writeLine(io.stdout, `  ${c.name.padEnd(width)}  ${c.summary}`);
  writeLine(io.stdout, '\nRun `lighter COMMAND --help` for a command\'s options.');
}

function commandHelp(io: CliIO, command: Command): void {
  writeLine(io.stdout, `Usage: ${command.usage}\n\n${command.summary}`);
  const options = Object.entries(command.options ?? {});
  if (options.length) writeLine(io.stdout, '\nOptions:');
  for (const [name, o] of options) {
    const short = o.short ? `-${o.short}, ` : '    ';
    writeLine(io.stdout, `  ${short}--${name}${o.type === 'string' ? ' VALUE' : ''}`);
  }
}

/** Runs one CLI invocation; returns the exit code. Never throws, never prints a stack. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    help(io);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    writeLine(io.stdout, `lighter ${__LIGHTER_VERSION__}`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    writeLine(io.stderr, `lighter: unknown command "${name}" (see \`lighter help\`)`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    commandHelp(io, command);
    return 0;
  }
  let args;
  try {
    args = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
  } catch (e) {
    writeLine(io.stderr, `lighter ${name}: ${(e as Error).message.split('\n')[0]}`);
    writeLine(io.stderr, `Usage: ${command.usage}`);
    return 2;
  }
  try {
    return (await command.run(args, io)) ?? 0;
  } catch (e) {
    const error = toErrorValue(e);
    writeLine(io.stderr, `lighter ${name}: ${oneLine(error.message)}`);
    if (e instanceof LighterError && e.code === 'INVALID_INPUT') return 2;
    return 1;
  }
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, '; ');
}

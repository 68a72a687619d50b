import { isLighterError } from '../../core/errors';
import { normalizeForPull, parseReference } from '../../core/ref/reference';
import type { CliIO, Command, ParsedArgs } from '../command';
import { writeLine } from '../command';

function table(io: CliIO, rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const row of rows) writeLine(io.stdout, row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
}

const refCommand: Command = {
  name: 'ref',
  summary:
    'Parse and normalize image references as docker does (tag shows "latest" when neither tag nor digest is given, as for pulling)',
  usage: 'lighter ref REF... [--json]',
  options: { json: { type: 'boolean' } },
  async run(args: ParsedArgs, io: CliIO) {
    if (args.positionals.length === 0) {
      writeLine(io.stderr, 'lighter ref: give at least one reference');
      return 2;
    }
    let failed = false;
    const rows: string[][] = [['INPUT', 'NAME', 'TAG', 'DIGEST', 'FAMILIAR']];
    for (const input of args.positionals) {
      try {
        const ref = normalizeForPull(parseReference(input));
        const out = { input, name: ref.name, domain: ref.domain, path: ref.path, tag: ref.tag ?? null, digest: ref.digest ?? null, familiar: ref.familiar };
        if (args.values.json) writeLine(io.stdout, JSON.stringify(out));
        else rows.push([input, ref.name, ref.tag ?? '-', ref.digest ?? '-', ref.familiar]);
      } catch (e) {
        if (!isLighterError(e)) throw e;
        failed = true;
        if (args.values.json) writeLine(io.stdout, JSON.stringify({ input, error: e.message }));
        else writeLine(io.stderr, `lighter ref: ${e.message}`);
      }
    }
    if (!args.values.json && rows.length > 1) table(io, rows);
    return failed ? 1 : 0;
  },
};

export const registryCommands: Command[] = [refCommand];

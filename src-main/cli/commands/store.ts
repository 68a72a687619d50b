/** `lighter store ls|rm|gc` and `lighter images --store`: Lighter's own image store (no engine needed). */
import { LighterError } from '../../core/errors';
import { humanAgo, humanSize } from '../../core/engine/format';
import { defaultStoreDir, ImageStore } from '../../core/store/store';
import type { CliIO, Command, ParsedArgs } from '../command';
import { printJson, writeLine } from '../command';

export function openStore(io: CliIO): Promise<ImageStore> {
  return ImageStore.open(defaultStoreDir(io.env));
}

/** The store's images as a table (or JSON), like `lighter images` does for the engine. */
export async function listStoreImages(args: ParsedArgs, io: CliIO): Promise<void> {
  const images = await (await openStore(io)).list();
  if (args.values.json) return printJson(io, images);
  const rows = images.map((image) => {
    const colon = image.familiar.lastIndexOf(':');
    const [repo, tag] = colon > image.familiar.lastIndexOf('/') ? [image.familiar.slice(0, colon), image.familiar.slice(colon + 1)] : [image.familiar, '<none>'];
    const created = image.created ? Date.parse(image.created) / 1000 : NaN;
    return [repo, tag, image.digest.slice(7, 19), image.platforms.join(',') || '-', Number.isFinite(created) ? humanAgo(created) : '-', humanSize(image.size)];
  });
  const all = [['REPOSITORY', 'TAG', 'DIGEST', 'PLATFORMS', 'CREATED', 'SIZE'], ...rows];
  const widths = all[0].map((_, c) => Math.max(10, ...all.map((r) => r[c].length + 3)));
  for (const row of all) writeLine(io.stdout, row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]))).join(''));
}

async function removeFromStore(refs: string[], io: CliIO): Promise<number> {
  if (!refs.length) throw new LighterError('INVALID_INPUT', 'expected at least one image (usage: lighter store rm REF…)');
  const store = await openStore(io);
  let failed = 0;
  for (const ref of refs) {
    try {
      await store.remove(ref);
      writeLine(io.stdout, `Untagged: ${ref}`);
    } catch (e) {
      if (refs.length === 1) throw e;
      failed++;
      writeLine(io.stderr, `lighter store rm: ${(e as Error).message}`);
    }
  }
  if (failed) throw new LighterError('NOT_FOUND', `${failed} of ${refs.length} images could not be removed`);
  return 0;
}

async function collectGarbage(args: ParsedArgs, io: CliIO): Promise<void> {
  const graceText = (args.values.grace as string | undefined) ?? '600';
  const grace = Number(graceText);
  if (!Number.isFinite(grace) || grace < 0) throw new LighterError('INVALID_INPUT', `--grace takes seconds, not "${graceText}"`);
  const result = await (await openStore(io)).gc({ graceMs: grace * 1000 });
  if (args.values.json) return printJson(io, result);
  writeLine(io.stdout, `Removed ${result.removed.length} unused blobs, ${humanSize(result.bytes)} freed.`);
  if (grace > 0) writeLine(io.stdout, `Unused blobs younger than ${grace} s were kept (a copy may be about to use them); --grace 0 removes them too.`);
}

export const storeCommand: Command = {
  name: 'store',
  summary: "Lighter's own image store: list (ls), remove (rm REF…) and garbage-collect (gc) — fill it with `lighter copy … store:REF`",
  usage: 'lighter store ls [--json] | lighter store rm REF… | lighter store gc [--grace SECONDS] [--json]   (location: $LIGHTER_STORE)',
  options: { json: { type: 'boolean' }, grace: { type: 'string' } },
  async run(args, io) {
    const [action, ...rest] = args.positionals;
    switch (action) {
      case 'ls':
      case 'list':
        return listStoreImages(args, io);
      case 'rm':
        return removeFromStore(rest, io);
      case 'gc':
        return collectGarbage(args, io);
      case 'path':
        writeLine(io.stdout, defaultStoreDir(io.env));
        return;
      default:
        throw new LighterError('INVALID_INPUT', `expected ls, rm, gc or path (usage: ${this.usage})`);
    }
  },
};

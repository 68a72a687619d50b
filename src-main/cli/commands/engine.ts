/** `lighter images|inspect|history|tag|rm|prune|df|engine`: the local engine's images. */
import { homedir } from 'node:os';
import { LighterError } from '../../core/errors';
import type { CliIO, CliOptions, Command, ParsedArgs } from '../command';
import { printJson, writeLine } from '../command';
import { connectFirst, type ConnectedEngine } from '../../core/engine/connect';
import { discoverEngines, selectionCandidates } from '../../core/engine/discover';
import { diskUsage } from '../../core/engine/disk-usage';
import { humanAgo, humanSize, shortId } from '../../core/engine/format';
import { listImages, parseFilterArgs } from '../../core/engine/images';
import { imageHistory, inspectImage } from '../../core/engine/inspect';
import { prunePreview, pruneImages } from '../../core/engine/prune';
import { removeImages, tagImage } from '../../core/engine/remove';
import { repositoryOf, tagOf } from '../../core/engine/filters';
import type { EngineAttempt, ImageDetail, ImageSummary } from '../../core/engine/types';
import { listStoreImages } from './store';
import { confirm, isInteractive } from '../prompt';

const engineOptions: CliOptions = {
  host: { type: 'string', short: 'H' },
  context: { type: 'string' },
};
const jsonOption: CliOptions = { json: { type: 'boolean' } };

/** The engine named by --host / --context, else the first one discovery finds. */
async function openEngine(args: ParsedArgs, io: CliIO, attempts: EngineAttempt[] = []): Promise<ConnectedEngine> {
  const discover = { env: io.env, home: io.env.HOME || homedir() };
  const host = args.values.host as string | undefined;
  const context = args.values.context as string | undefined;
  if (host && context) throw new LighterError('INVALID_INPUT', 'use either --host or --context, not both');
  const candidates = host
    ? selectionCandidates({ host }, discover)
    : context
      ? selectionCandidates({ context }, discover)
      : discoverEngines(discover);
  return connectFirst(candidates, { env: io.env, attempts });
}

function positional(args: ParsedArgs, count: number, usage: string): string[] {
  if (args.positionals.length !== count) {
    throw new LighterError('INVALID_INPUT', `expected ${count === 1 ? 'one argument' : `${count} arguments`} (usage: ${usage})`);
  }
  return args.positionals;
}

/** Columns padded like the docker CLI's tables (at least 10 wide, 3 spaces apart). */
function printTable(io: CliIO, header: string[], rows: string[][]): void {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(10, ...all.map((r) => r[c].length + 3)));
  for (const row of all) {
    writeLine(io.stdout, row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]))).join(''));
  }
}

function byNewest(a: { created: number }, b: { created: number }): number {
  return b.created - a.created;
}

const images: Command = {
  name: 'images',
  summary: 'List the images of the local engine',
  usage: 'lighter images [--json] [--filter KEY=VALUE]…  (dangling, in-use, reference, before, since, text) | lighter images --store [--json]',
  options: { ...jsonOption, filter: { type: 'string', short: 'f', multiple: true }, store: { type: 'boolean' }, ...engineOptions },
  async run(args, io) {
    if (args.positionals.length) throw new LighterError('INVALID_INPUT', `unexpected argument "${args.positionals[0]}"`);
    if (args.values.store) return listStoreImages(args, io);
    const filter = parseFilterArgs((args.values.filter as string[] | undefined) ?? []);
    const { docker } = await openEngine(args, io);
    const list = (await listImages(docker, filter)).sort(byNewest);
    if (args.values.json) return printJson(io, list);
    const rows: string[][] = [];
    for (const image of list) {
      const refs = image.repoTags.length ? image.repoTags : [''];
      for (const ref of refs) {
        const repo = ref ? repositoryOf(ref) : '<none>';
        const tag = ref ? tagOf(ref) || '<none>' : '<none>';
        rows.push([repo, tag, image.shortId, humanAgo(image.created), humanSize(image.size)]);
      }
    }
    printTable(io, ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows);
  },
};

function describeImage(io: CliIO, d: ImageDetail): void {
  const created = Date.parse(d.created) / 1000;
  const list = (values: string[]) => (values.length ? values.join('\n                ') : '-');
  const json = (value: string[] | null) => (value ? JSON.stringify(value) : '-');
  const lines: [string, string][] = [
    ['ID', d.id],
    ['Tags', list(d.repoTags)],
    ['Digests', list(d.repoDigests)],
    ['Created', Number.isFinite(created) ? `${d.created} (${humanAgo(created)})` : d.created],
    ['Size', humanSize(d.size)],
    ['Platform', [d.os, d.architecture, d.variant].filter(Boolean).join('/')],
    ['Author', d.author || '-'],
    ['Entrypoint', json(d.config.entrypoint)],
    ['Cmd', json(d.config.cmd)],
    ['Working dir', d.config.workingDir || '-'],
    ['User', d.config.user || '-'],
    ['Env', list(d.config.env)],
    ['Ports', list(d.config.exposedPorts)],
    ['Volumes', list(d.config.volumes)],
    ['Labels', list(Object.entries(d.config.labels).map(([k, v]) => `${k}=${v}`))],
    ['Layers', list(d.layers.map((l, i) => `${i + 1}. ${l}`))],
  ];
  for (const [key, value] of lines) writeLine(io.stdout, `${(key + ':').padEnd(16)}${value}`);
}

/** The engine half of `lighter inspect` (transport.ts dispatches plain names here). */
export const inspect: Command = {
  name: 'inspect',
  summary: "Show an image's configuration",
  usage: 'lighter inspect IMAGE [--json]',
  options: { ...jsonOption, ...engineOptions },
  async run(args, io) {
    const [name] = positional(args, 1, this.usage);
    const { docker } = await openEngine(args, io);
    const detail = await inspectImage(docker, name);
    if (args.values.json) printJson(io, detail);
    else describeImage(io, detail);
  },
};

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const history: Command = {
  name: 'history',
  summary: 'Show the steps that built an image',
  usage: 'lighter history IMAGE [--json] [--no-trunc]',
  options: { ...jsonOption, 'no-trunc': { type: 'boolean' }, ...engineOptions },
  async run(args, io) {
    const [name] = positional(args, 1, this.usage);
    const { docker } = await openEngine(args, io);
    const rows = await imageHistory(docker, name);
    if (args.values.json) return printJson(io, rows);
    const full = !!args.values['no-trunc'];
    printTable(
      io,
      ['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'],
      rows.map((r) => [
        r.id === '<missing>' || full ? r.id : shortId(r.id),
        humanAgo(r.created),
        full ? r.createdBy : truncate(r.createdBy.replace(/\s+/g, ' '), 45),
        humanSize(r.size),
        r.comment,
      ]),
    );
  },
};

const tag: Command = {
  name: 'tag',
  summary: 'Give an image another name',
  usage: 'lighter tag SOURCE TARGET',
  options: { ...engineOptions },
  async run(args, io) {
    const [source, target] = positional(args, 2, this.usage);
    const { docker } = await openEngine(args, io);
    await tagImage(docker, source, target);
  },
};

const rm: Command = {
  name: 'rm',
  summary: 'Remove images by name or ID',
  usage: 'lighter rm IMAGE… [--force]',
  options: { force: { type: 'boolean', short: 'f' }, ...engineOptions },
  async run(args, io) {
    if (!args.positionals.length) throw new LighterError('INVALID_INPUT', `expected at least one image (usage: ${this.usage})`);
    const { docker } = await openEngine(args, io);
    const result = await removeImages(docker, args.positionals, { force: !!args.values.force });
    for (const u of result.untagged) writeLine(io.stdout, `Untagged: ${u}`);
    for (const d of result.removed) writeLine(io.stdout, `Deleted: ${d}`);
    if (!result.failed.length) return;
    if (result.failed.length === 1) {
      const [f] = result.failed;
      throw new LighterError(f.code ?? 'ENGINE_ERROR', f.error);
    }
    for (const f of result.failed) writeLine(io.stderr, `lighter rm: ${f.error}`);
    throw new LighterError('ENGINE_ERROR', `${result.failed.length} of ${args.positionals.length} images could not be removed`);
  },
};

function describeImageRef(image: ImageSummary): string {
  return image.repoTags.length ? image.repoTags.join(', ') : `<none> (${image.shortId})`;
}

const prune: Command = {
  name: 'prune',
  summary: 'Remove dangling images (or, with --all, every image no container uses)',
  usage: 'lighter prune [--all] [--yes]',
  options: { all: { type: 'boolean', short: 'a' }, yes: { type: 'boolean', short: 'y' }, ...engineOptions },
  async run(args, io) {
    if (args.positionals.length) throw new LighterError('INVALID_INPUT', `unexpected argument "${args.positionals[0]}"`);
    const all = !!args.values.all;
    const { docker } = await openEngine(args, io);
    if (!args.values.yes) {
      const preview = await prunePreview(docker, { all });
      if (!preview.images.length) {
        writeLine(io.stdout, `No ${all ? 'unused' : 'dangling'} images to remove.`);
        return;
      }
      writeLine(io.stdout, `These ${preview.images.length} ${all ? 'unused' : 'dangling'} images would be removed:`);
      for (const image of preview.images) writeLine(io.stdout, `  ${image.shortId}  ${describeImageRef(image)}  ${humanSize(image.size)}`);
      writeLine(io.stdout, `Space to reclaim: ${humanSize(preview.reclaimBytes)}`);
      if (!isInteractive(io)) {
        throw new LighterError('INVALID_INPUT', 'not removing anything: input is not a terminal, pass --yes to confirm');
      }
      if (!(await confirm(io, 'Remove them? [y/N] '))) {
        writeLine(io.stdout, 'Nothing removed.');
        return;
      }
    }
    const result = await pruneImages(docker, { all });
    for (const u of result.untagged ?? []) writeLine(io.stdout, `Untagged: ${u}`);
    for (const d of result.deleted) writeLine(io.stdout, `Deleted: ${d}`);
    writeLine(io.stdout, `Total reclaimed space: ${humanSize(result.reclaimedBytes)}`);
  },
};

const df: Command = {
  name: 'df',
  summary: 'Show disk space used by images, containers, volumes and build cache',
  usage: 'lighter df [--json]',
  options: { ...jsonOption, ...engineOptions },
  async run(args, io) {
    const { docker } = await openEngine(args, io);
    const usage = await diskUsage(docker);
    if (args.values.json) return printJson(io, usage);
    const row = (type: string, u: typeof usage.images): string[] => [
      type,
      String(u.count),
      String(u.active),
      humanSize(u.size, 4),
      u.size > 0 ? `${humanSize(u.reclaimable, 4)} (${Math.floor((u.reclaimable * 100) / u.size)}%)` : humanSize(u.reclaimable, 4),
    ];
    printTable(io, ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'], [
      row('Images', usage.images),
      row('Containers', usage.containers),
      row('Local Volumes', usage.volumes),
      row('Build Cache', usage.buildCache),
    ]);
  },
};

const engine: Command = {
  name: 'engine',
  summary: 'Show which container engine Lighter uses and how it was found',
  usage: 'lighter engine [--json] [--host HOST | --context NAME]',
  options: { ...jsonOption, ...engineOptions },
  async run(args, io) {
    const attempts: EngineAttempt[] = [];
    let connected: ConnectedEngine;
    try {
      connected = await openEngine(args, io, attempts);
    } catch (e) {
      if (!(e instanceof LighterError) || e.code !== 'ENGINE_UNREACHABLE') throw e;
      if (args.values.json) printJson(io, { state: 'unreachable', attempts });
      else {
        writeLine(io.stdout, attempts.length ? 'Tried:' : 'No engine to try: nothing found.');
        for (const a of attempts) writeLine(io.stdout, `  ${a.host} (${a.foundBy}): ${a.error}`);
      }
      throw e;
    }
    const { info } = connected;
    if (args.values.json) return printJson(io, { state: 'connected', engine: info, attempts });
    const lines: [string, string | undefined][] = [
      ['Engine', `${info.name} ${info.version}`],
      ['API version', `${info.apiVersion}${info.minApiVersion ? ` (engine accepts ${info.minApiVersion} and newer)` : ''}`],
      ['OS/Arch', `${info.os}/${info.arch}`],
      ['Operating system', info.operatingSystem],
      ['Kernel', info.kernelVersion],
      ['Host', info.host],
      ['Found by', info.foundBy],
    ];
    for (const [key, value] of lines) if (value) writeLine(io.stdout, `${(key + ':').padEnd(18)}${value}`);
    for (const a of attempts) writeLine(io.stdout, `${'Skipped:'.padEnd(18)}${a.host} (${a.foundBy}): ${a.error}`);
  },
};

export const engineCommands: Command[] = [images, history, tag, rm, prune, df, engine];

/** `lighter copy SRC DST` and `lighter inspect PLACE`: images between registries, engines, archives, layouts and the store. */
import { LighterError } from '../../core/errors';
import { humanSize } from '../../core/engine/format';
import { parsePlatform } from '../../core/image/platform';
import { JobManager } from '../../core/jobs/manager';
import { copyImage, type CopyResult } from '../../core/transport/copy';
import { describeSource, rawManifest, type PlaceDescription } from '../../core/transport/inspect';
import { openDestination, openSource, parseSourcePlace, TransportContext } from '../../core/transport/open';
import { parsePlace, transportOf } from '../../core/transport/places';
import type { ImageSource } from '../../core/transport/types';
import type { CliIO, Command, ParsedArgs } from '../command';
import { printJson, writeLine } from '../command';
import { inspect as engineInspect } from './engine';
import { ProgressBar } from './progress-bar';
import { storeCommand } from './store';

const places = 'docker://REF, docker-daemon:REF, docker-archive:PATH[:REF], oci-archive:PATH[:REF], oci:DIR[:REF], store:REF';

function platformsOf(args: ParsedArgs): 'host' | 'all' | ReturnType<typeof parsePlatform>[] {
  const list = ((args.values.platform as string[] | undefined) ?? []).map(parsePlatform);
  if (args.values['all-platforms']) {
    if (list.length) throw new LighterError('INVALID_INPUT', 'use either --platform or --all-platforms, not both');
    return 'all';
  }
  return list.length ? list : 'host';
}

async function withSource<T>(ctx: TransportContext, text: string, work: (source: ImageSource) => Promise<T>): Promise<T> {
  let source: ImageSource | undefined;
  try {
    source = await openSource(parseSourcePlace(text), ctx);
    return await work(source);
  } finally {
    await source?.close();
    await ctx.close();
  }
}

const copy: Command = {
  name: 'copy',
  summary: 'Copy an image between registries, engines, archives, OCI layouts and the store',
  usage: `lighter copy SRC DST [--platform OS/ARCH[/VARIANT]]… [--all-platforms]   (places: ${places})`,
  options: { platform: { type: 'string', multiple: true }, 'all-platforms': { type: 'boolean' } },
  async run(args, io) {
    if (args.positionals.length !== 2) throw new LighterError('INVALID_INPUT', `expected SRC and DST (usage: ${this.usage})`);
    const [from, to] = args.positionals;
    const source = parseSourcePlace(from);
    const destination = parsePlace(to);
    const platforms = platformsOf(args);
    const jobs = new JobManager({ throttleMs: 100 });
    const bar = new ProgressBar(io.stderr);
    const job = jobs.start(
      'copy',
      `Copy ${from} to ${to}`,
      async (job) => {
        let saved = 0;
        const onSaveBytes = (n: number) => job.progress({ current: (saved += n), message: 'Saving from the engine' });
        const ctx = new TransportContext({ env: io.env, signal: job.signal, onSaveBytes });
        return withSource(ctx, from, async (src) => {
          const dest = await openDestination(destination, ctx, { source });
          return copyImage(src, dest, { platforms, job, signal: job.signal });
        });
      },
      'bytes',
    );
    const unsubscribe = jobs.subscribe((info) => info.id === job.id && info.state === 'running' && bar.draw(info.progress));
    // Ctrl-C, a kill (a script's timeout) or a closed terminal cancel the job, which removes what it
    // had written; a second signal of the same kind ends the process at once.
    const interrupt = () => jobs.cancel(job.id);
    for (const signal of stopSignals) process.once(signal, interrupt);
    try {
      const done = await jobs.wait(job.id);
      bar.clear();
      if (done.state !== 'succeeded') throw LighterError.fromValue(done.error ?? { code: 'CANCELLED', message: 'Cancelled' });
      writeLine(io.stdout, (done.result as CopyResult).digest);
    } finally {
      for (const signal of stopSignals) process.off(signal, interrupt);
      unsubscribe();
    }
  },
};

const stopSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function describe(io: CliIO, d: PlaceDescription): void {
  const list = (values: string[]) => (values.length ? values.join('\n                ') : '-');
  const json = (value: string[] | null | undefined) => (value ? JSON.stringify(value) : '-');
  const { image } = d;
  const lines: [string, string][] = [
    ['Name', d.name],
    ['Digest', d.digest],
    ['Media type', d.mediaType],
  ];
  if (d.platforms.length) lines.push(['Platforms', d.platforms.join(', ')], ['Shown', `${image.platform} (${image.digest})`]);
  else lines.push(['Platform', image.platform]);
  lines.push(
    ['Created', image.created ?? '-'],
    ['Config', `${image.config.digest} (${humanSize(image.config.size)})`],
    ['Entrypoint', json(image.entrypoint)],
    ['Cmd', json(image.cmd)],
    ['Working dir', image.workingDir || '-'],
    ['User', image.user || '-'],
    ['Env', list(image.env)],
    ['Ports', list(image.exposedPorts)],
    ['Labels', list(Object.entries(image.labels).map(([k, v]) => `${k}=${v}`))],
    ['Layers', list(image.layers.map((l, i) => `${i + 1}. ${l.digest}  ${humanSize(l.size)}`))],
    ['Size', humanSize(image.size)],
  );
  for (const [key, value] of lines) writeLine(io.stdout, `${(key + ':').padEnd(16)}${value}`);
}

const inspect: Command = {
  name: 'inspect',
  summary: "Show an image's configuration and layers: an engine image by name, or any place (docker://REF, store:REF…)",
  usage: 'lighter inspect IMAGE|PLACE [--json] [--raw] [--platform OS/ARCH[/VARIANT]]',
  options: { ...engineInspect.options, raw: { type: 'boolean' }, platform: { type: 'string' } },
  async run(args, io) {
    if (args.positionals.length !== 1) throw new LighterError('INVALID_INPUT', `expected one argument (usage: ${this.usage})`);
    const [text] = args.positionals;
    if (!transportOf(text)) {
      if (args.values.raw || args.values.platform) throw new LighterError('INVALID_INPUT', '--raw and --platform need a place such as docker://REF or store:REF');
      return engineInspect.run(args, io);
    }
    const platform = args.values.platform ? parsePlatform(args.values.platform as string) : undefined;
    const ctx = new TransportContext({ env: io.env });
    await withSource(ctx, text, async (source) => {
      if (args.values.raw) {
        io.stdout.write((await rawManifest(source)).bytes);
        return;
      }
      const description = await describeSource(source, { platform });
      if (args.values.json) printJson(io, description);
      else describe(io, description);
    });
  },
};

export const transportCommands: Command[] = [copy, inspect, storeCommand];

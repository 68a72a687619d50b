import { LighterError, isLighterError } from '../../core/errors';
import { manifestContentSize } from '../../core/image/manifest-document';
import { isAttestation, parsePlatform, platformString, selectPlatformManifest } from '../../core/image/platform';
import type { Platform } from '../../core/image/types';
import { type Reference, familiarName, manifestReference, normalizeForPull, parseReference } from '../../core/ref/reference';
import { RegistryClient } from '../../core/registry/client';
import { type FetchedManifest, getManifest, resolveDigest } from '../../core/registry/manifests';
import { login, loginDomain, logout } from '../../core/registry/login';
import { searchImages } from '../../core/registry/search';
import { listTags } from '../../core/registry/tags';
import type { CliIO, Command, ParsedArgs } from '../command';
import { printJson, writeLine } from '../command';
import { ask, isInteractive } from '../prompt';

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


const insecureOption = { insecure: { type: 'boolean' as const } };

function pullRef(text: string | undefined, usage: string): Reference {
  if (!text) throw new LighterError('INVALID_INPUT', `Missing image reference (usage: ${usage})`);
  return normalizeForPull(parseReference(text));
}

/** A client reading credentials, CA and insecure settings from the command's environment. */
function clientFor(io: CliIO, args: ParsedArgs, domain: string): RegistryClient {
  return new RegistryClient({ env: io.env, insecureRegistries: args.values.insecure ? [domain] : [] });
}

async function withClient<T>(io: CliIO, args: ParsedArgs, domain: string, work: (client: RegistryClient) => Promise<T>): Promise<T> {
  const client = clientFor(io, args, domain);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8');
}

const loginCommand: Command = {
  name: 'login',
  summary: 'Log in to a registry (default Docker Hub); credentials are checked, then stored as docker does',
  usage: 'lighter login [REGISTRY] [-u USER] [--password-stdin] [--insecure]',
  options: { username: { type: 'string', short: 'u' }, 'password-stdin': { type: 'boolean' }, ...insecureOption },
  async run(args, io) {
    const domain = loginDomain(args.positionals[0]);
    const fromStdin = args.values['password-stdin'] === true;
    const interactive = isInteractive(io) && !fromStdin;
    let username = args.values.username as string | undefined;
    if (!username && interactive) username = (await ask(io, 'Username: ')).trim();
    if (!username) throw new LighterError('INVALID_INPUT', 'Give the user name with -u USER');
    if (!fromStdin && !interactive) throw new LighterError('INVALID_INPUT', 'Give the password on standard input with --password-stdin');
    const password = fromStdin ? (await readAll(io.stdin)).replace(/[\r\n]+$/, '') : await ask(io, 'Password: ', { secret: true });
    if (!password) throw new LighterError('INVALID_INPUT', fromStdin ? 'The password on standard input is empty' : 'The password is empty');
    const { storedIn } = await login(domain, { username, password }, { env: io.env, insecureRegistries: args.values.insecure ? [domain] : [] });
    writeLine(io.stdout, `Login Succeeded (credentials for ${domain} saved via ${storedIn})`);
  },
};

const logoutCommand: Command = {
  name: 'logout',
  summary: 'Forget the stored credentials for a registry (default Docker Hub)',
  usage: 'lighter logout [REGISTRY]',
  async run(args, io) {
    const domain = loginDomain(args.positionals[0]);
    const removed = await logout(domain, io.env);
    writeLine(io.stdout, removed ? `Removed login credentials for ${domain}` : `Not logged in to ${domain}`);
  },
};

interface IndexEntry {
  digest: string;
  mediaType: string;
  platform: string | null;
  attestation: boolean;
  size: number | null;
}

function manifestSummary(ref: Reference, m: FetchedManifest, platform?: Platform) {
  if (m.document.kind !== 'manifest') throw new LighterError('INTERNAL', 'expected an image manifest');
  const manifest = m.document.manifest;
  return {
    reference: ref.familiar,
    kind: 'manifest' as const,
    digest: m.digest,
    mediaType: m.mediaType,
    platform: platform ? platformString(platform) : null,
    size: manifestContentSize(manifest),
    config: { digest: manifest.config.digest, size: manifest.config.size, mediaType: manifest.config.mediaType },
    layers: manifest.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType })),
    rateLimit: m.rateLimit ?? null,
  };
}

const manifestCommand: Command = {
  name: 'manifest',
  summary: 'Show an image\'s manifest, or the platforms of a multi-platform index with their sizes',
  usage: 'lighter manifest REF [--platform os/arch[/variant]] [--json] [--insecure]',
  options: { json: { type: 'boolean' }, platform: { type: 'string' }, ...insecureOption },
  async run(args, io) {
    const ref = pullRef(args.positionals[0], this.usage);
    const wanted = typeof args.values.platform === 'string' ? parsePlatform(args.values.platform) : undefined;
    await withClient(io, args, ref.domain, async (client) => {
      const top = await getManifest(client, ref, manifestReference(ref));
      if (top.document.kind === 'index' && !wanted) {
        const entries: IndexEntry[] = [];
        for (const d of top.document.index.manifests) {
          const attestation = isAttestation(d);
          let size: number | null = null;
          if (!attestation) {
            const m = await getManifest(client, ref, d.digest);
            if (m.document.kind === 'manifest') size = manifestContentSize(m.document.manifest);
          }
          entries.push({ digest: d.digest, mediaType: d.mediaType, platform: d.platform ? platformString(d.platform) : null, attestation, size });
        }
        if (args.values.json) {
          printJson(io, { reference: ref.familiar, kind: 'index', digest: top.digest, mediaType: top.mediaType, manifests: entries, rateLimit: top.rateLimit ?? null });
          return;
        }
        writeLine(io.stdout, `${ref.familiar}  ${top.digest}\n${top.mediaType}\n`);
        table(io, [
          ['PLATFORM', 'DIGEST', 'SIZE'],
          ...entries.map((e) => [e.attestation ? `(attestation)` : (e.platform ?? '?'), e.digest, e.size === null ? '-' : formatSize(e.size)]),
        ]);
        return;
      }
      let chosen = top;
      let platform: Platform | undefined;
      if (top.document.kind === 'index') {
        const d = selectPlatformManifest(top.document.index.manifests, wanted);
        platform = d.platform;
        chosen = await getManifest(client, ref, d.digest);
        if (chosen.document.kind !== 'manifest') throw new LighterError('UNSUPPORTED', 'Nested indexes are not supported');
      }
      const summary = manifestSummary(ref, chosen, platform);
      if (args.values.json) {
        printJson(io, summary);
        return;
      }
      writeLine(io.stdout, `${ref.familiar}${platform ? ` (${platformString(platform)})` : ''}  ${summary.digest}\n${summary.mediaType}\n`);
      table(io, [
        ['KIND', 'DIGEST', 'SIZE'],
        ['config', summary.config.digest, formatSize(summary.config.size)],
        ...summary.layers.map((l) => ['layer', l.digest, formatSize(l.size)]),
        ['total', '', formatSize(summary.size)],
      ]);
    });
  },
};

const digestCommand: Command = {
  name: 'digest',
  summary: 'Print the manifest digest a reference points at in its registry',
  usage: 'lighter digest REF [--insecure]',
  options: { ...insecureOption },
  async run(args, io) {
    const ref = pullRef(args.positionals[0], this.usage);
    const digest = await withClient(io, args, ref.domain, (client) => resolveDigest(client, ref));
    writeLine(io.stdout, digest);
  },
};

const tagsCommand: Command = {
  name: 'tags',
  summary: 'List the tags of a repository in its registry',
  usage: 'lighter tags REPO [--json] [--insecure]',
  options: { json: { type: 'boolean' }, ...insecureOption },
  async run(args, io) {
    const ref = pullRef(args.positionals[0], this.usage);
    const tags = await withClient(io, args, ref.domain, (client) => listTags(client, ref));
    if (args.values.json) printJson(io, { name: familiarName(ref), tags });
    else for (const tag of tags) writeLine(io.stdout, tag);
  },
};

const searchCommand: Command = {
  name: 'search',
  summary: 'Search Docker Hub for images',
  usage: 'lighter search TERM [--limit N] [--official] [--stars N] [--json]',
  options: { limit: { type: 'string' }, official: { type: 'boolean' }, stars: { type: 'string' }, json: { type: 'boolean' } },
  async run(args, io) {
    const term = args.positionals.join(' ');
    const number = (name: string, fallback: number) => {
      const v = args.values[name];
      if (v === undefined) return fallback;
      if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new LighterError('INVALID_INPUT', `--${name} needs a whole number`);
      return Number(v);
    };
    const results = await searchImages(term, { limit: number('limit', 25), officialOnly: args.values.official === true, minStars: number('stars', 0), env: io.env });
    if (args.values.json) {
      printJson(io, results);
      return;
    }
    const oneLine = (t: string) => (t.length > 60 ? `${t.slice(0, 57)}...` : t).replace(/\s+/g, ' ');
    table(io, [['NAME', 'DESCRIPTION', 'STARS', 'OFFICIAL'], ...results.map((r) => [r.name, oneLine(r.description), String(r.stars), r.official ? '[OK]' : ''])]);
  },
};

export const registryCommands: Command[] = [refCommand, loginCommand, logoutCommand, manifestCommand, digestCommand, tagsCommand, searchCommand];

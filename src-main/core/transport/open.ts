import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { warmHelperThreads } from '../archive/member-hash-thread';
import { OciWriter } from '../archive/write-oci';
import { connectFirst, type EngineAccess } from '../engine/connect';
import { discoverEngines } from '../engine/discover';
import { OciLayout } from '../layout/layout';
import { familiarName } from '../ref/reference';
import { RegistryClient, type RegistryClientOptions } from '../registry/client';
import { defaultStoreDir, ImageStore } from '../store/store';
import { ArchiveDestination } from './archive-destination';
import { ArchiveSource } from './archive-source';
import { DaemonDestination, DaemonSource } from './daemon';
import { DockerArchiveFileDestination } from './docker-archive-file';
import { LayoutDestination, LayoutSource } from './oci-layout';
import { parsePlace, type Place } from './places';
import { RegistryDestination, RegistrySource } from './registry';
import type { ImageDestination, ImageSource } from './types';

/** What transports need from their surroundings; one per copy or inspect, closed afterwards. */
export class TransportContext {
  private client?: RegistryClient;
  private connected?: Promise<EngineAccess>;

  constructor(
    readonly options: {
      env?: NodeJS.ProcessEnv;
      registry?: RegistryClientOptions;
      /** The engine to use; default: the first one discovery finds. */
      engine?: () => Promise<EngineAccess>;
      storeDir?: string;
      signal?: AbortSignal;
      /** Bytes read from an engine's save stream (before the copy proper starts). */
      onSaveBytes?: (bytes: number) => void;
    } = {},
  ) {}

  get env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  registry(): RegistryClient {
    this.client ??= new RegistryClient({ env: this.env, ...this.options.registry });
    return this.client;
  }

  engine = (): Promise<EngineAccess> => {
    if (this.options.engine) return this.options.engine();
    this.connected ??= connectFirst(discoverEngines({ env: this.env, home: this.env.HOME || homedir() }), { env: this.env, identify: false });
    return this.connected;
  };

  store(): Promise<ImageStore> {
    return ImageStore.open(this.options.storeDir ?? defaultStoreDir(this.env));
  }

  async close(): Promise<void> {
    await this.client?.close();
  }
}

/** A place as a source; paths holding ':' are recognized when they exist. */
export function parseSourcePlace(text: string): Place {
  return parsePlace(text, { exists: existsSync });
}

export async function openSource(place: Place, ctx: TransportContext): Promise<ImageSource> {
  switch (place.transport) {
    case 'docker':
      return new RegistrySource(ctx.registry(), place.ref);
    case 'docker-daemon':
      return new DaemonSource(ctx.engine, place.name, ctx.options.onSaveBytes);
    case 'docker-archive':
    case 'oci-archive':
      // Its layers are hashed on helper threads: they boot while the file is opened and its headers read.
      warmHelperThreads('whole-file');
      return new ArchiveSource(place.text, place.path, place.ref, { signal: ctx.options.signal });
    case 'oci':
      return new LayoutSource(place.text, await OciLayout.open(place.path), place.ref);
    case 'store':
      return (await ctx.store()).source(place.ref);
  }
}

export interface DestinationOptions {
  /** Where the image comes from: registry mounts and default names follow from it. */
  source?: Place;
}

export async function openDestination(place: Place, ctx: TransportContext, options: DestinationOptions = {}): Promise<ImageDestination> {
  const { source } = options;
  switch (place.transport) {
    case 'docker': {
      const mountFrom = source?.transport === 'docker' && source.ref.domain === place.ref.domain ? source.ref.path : undefined;
      return new RegistryDestination(ctx.registry(), place.ref, mountFrom);
    }
    case 'docker-daemon':
      return new DaemonDestination(ctx.engine, place.name, ctx.options.signal);
    case 'docker-archive': {
      // Big blobs are checked behind their writes on helper threads: they boot while the source starts.
      warmHelperThreads('behind-writes');
      const names = place.ref ? [place.ref] : defaultNames(source);
      return new DockerArchiveFileDestination(place.text, place.path, names, ctx.options.signal);
    }
    case 'oci-archive': {
      warmHelperThreads('behind-writes');
      const names = place.ref ? [place.ref] : [];
      return new ArchiveDestination(place.text, () => OciWriter.archive(place.path, { signal: ctx.options.signal }), {
        acceptsIndex: true,
        addChild: (writer, m) => (writer as OciWriter).addChild(m),
        addRoot: (writer, top) => (writer as OciWriter).addRoot(names, top),
      });
    }
    case 'oci':
      return new LayoutDestination(place.text, await OciLayout.open(place.path, { create: true }), place.ref);
    case 'store':
      return (await ctx.store()).destination(place.ref);
  }
}

/** A docker-archive made from a named image keeps that name, so `docker load` tags it. */
function defaultNames(source?: Place): string[] {
  if (source?.transport === 'docker' && source.ref.tag) return [`${familiarName(source.ref)}:${source.ref.tag}`];
  if (source?.transport === 'store' && !source.ref.includes('@')) return [source.ref];
  if (source?.transport === 'docker-daemon' && !/^(sha256:)?[a-f0-9]{12,64}$/.test(source.name) && !source.name.includes('@')) return [source.name];
  return [];
}

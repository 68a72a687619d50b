import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { LighterError, cancelled } from '../errors';
import type { EngineAccess } from '../engine/connect';
import { engineError } from '../engine/engine-errors';
import { chunksOf } from '../archive/stream-chunks';
import { encodeHeader, padding } from '../archive/tar-header';
import { sha256 } from '../image/digest';
import type { ImageConfig } from '../image/types';
import { giveBack } from '../http/read-slabs';
import { releaseSpentMemory } from '../spent-memory';
import { EngineConnection, readText } from './engine-http';
import { LoadRequest, type LoadOptions } from './engine-load';
import type { LayerPlan } from './types';

/** Marks the temporary images holding layers; the value is one load's own. */
export const holdingLabel = 'org.lighter.holding';

/**
 * Loads an archive into a Docker engine one layer per `POST /images/load`, so the engine applies
 * each layer while the next one goes over and is hashed, instead of waiting for the whole archive.
 * The request for layer k carries only that layer: a docker engine loads a layer only when it does
 * not have it already, and the layers below it are kept by a temporary image holding layers 0…k
 * (a config of their diff_ids with a label of this load's own). The last request carries the
 * image's own config and names, and its end goes out only when `input`, the archive verified as it
 * passes, has ended — that is, once every digest held; the temporary images are removed afterwards,
 * and when anything fails, so the engine keeps either the whole verified image or none of it.
 *
 * `input` is the archive file from its first byte; `plan` says where its layers lie in it.
 */
export async function loadLayerByLayer(engine: EngineAccess, input: Readable, plan: LayerPlan, names: string[], options: LoadOptions = {}): Promise<void> {
  const { signal } = options;
  const requests = layerRequests(plan, names);
  // A request whose whole tar went out is left to finish: the engine makes its image regardless,
  // and only then can a holding image be removed.
  const stop = () => {
    for (const r of requests) if (!r.ended) r.request?.destroy();
    input.destroy();
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    await sendLayers(engine, input, requests, options);
    releaseSpentMemory();
    await requests[requests.length - 1].finished;
  } catch (e) {
    throw signal?.aborted ? cancelled() : e;
  } finally {
    signal?.removeEventListener('abort', stop);
    stop();
    await removeHoldingImages(engine, requests);
    for (const r of requests) r.request?.destroy();
  }
}

/** One layer's load request: its data goes out as the archive passes, its tail when its turn comes. */
class LayerRequest {
  request?: LoadRequest;
  /** The tail went out: the engine may have made the image. */
  tailSent = false;
  /** The whole tar went out: the engine makes the image whatever happens to the connection. */
  ended = false;
  failure?: unknown;
  /** Settles with the engine's verdict on this request, after the previous one's. */
  readonly finished: Promise<void>;
  private start!: (after: () => Promise<unknown>) => void;

  constructor(
    readonly offset: number,
    readonly size: number,
    /** What follows the layer: the config, manifest.json and the tar's end. */
    private readonly tail: Buffer,
    /** The holding image the request makes; undefined for the last, the image itself. */
    readonly holdingId?: string,
  ) {
    this.finished = new Promise<() => Promise<unknown>>((resolve) => (this.start = resolve)).then((after) => this.complete(after));
    this.finished.catch((e: unknown) => (this.failure = e));
  }

  /** The layer's data went out: the tail follows once `after` resolves (the load below it, the archive's end). */
  finish(after: () => Promise<unknown>): void {
    this.start(after);
  }

  private async complete(after: () => Promise<unknown>): Promise<void> {
    await after();
    const request = this.request!;
    try {
      await request.send(this.tail);
      this.tailSent = true;
      await request.end();
      this.ended = true;
    } catch (e) {
      throw await request.failure(e);
    }
    await request.reply.catch((e: unknown) => {
      throw engineError(e);
    });
  }
}

function layerRequests(plan: LayerPlan, names: string[]): LayerRequest[] {
  const config = JSON.parse(plan.config.toString('utf8')) as ImageConfig;
  const mark = randomBytes(12).toString('hex');
  const last = plan.layers.length - 1;
  return plan.layers.map(({ offset, size }, k) => {
    if (k === last) return new LayerRequest(offset, size, requestTail(plan.config, k, names));
    const holding = holdingConfig(config, k + 1, mark);
    return new LayerRequest(offset, size, requestTail(holding, k, null), sha256(holding));
  });
}

/** The config of a temporary image holding the first `count` layers: only what a load needs. */
function holdingConfig(config: ImageConfig, count: number, mark: string): Buffer {
  const { architecture, os, variant } = config;
  return Buffer.from(
    JSON.stringify({ architecture, os, variant, config: { Labels: { [holdingLabel]: mark } }, rootfs: { type: 'layers', diff_ids: config.rootfs.diff_ids.slice(0, count) } }),
  );
}

const layerName = 'layer.tar';

/** After layer k's data: its config, a manifest.json naming layers below it that are not in this tar, and the end. */
function requestTail(config: Buffer, k: number, names: string[] | null): Buffer {
  const layers = [...Array.from({ length: k }, (_, i) => `held/${i}.tar`), layerName];
  const manifest = Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: names, Layers: layers }]));
  return Buffer.concat([...member('config.json', config), ...member('manifest.json', manifest), Buffer.alloc(1024)]);
}

function member(path: string, data: Buffer): Buffer[] {
  return [fileHeader(path, data.length), data, padding(data.length)];
}

function fileHeader(path: string, size: number): Buffer {
  return encodeHeader({ path, type: 'file', size, mode: 0o644, mtime: 0, uid: 0, gid: 0, linkname: '' });
}

/**
 * Reads the archive once, sending each layer's bytes to its own request as they pass (other members
 * are only read, for the verification); a request whose layer is complete finishes after the one
 * below it, the last one after the archive ended.
 */
async function sendLayers(engine: EngineAccess, input: Readable, requests: LayerRequest[], options: LoadOptions): Promise<void> {
  const byOffset = [...requests].sort((a, b) => a.offset - b.offset);
  let ended!: () => void;
  const inputEnded = new Promise<void>((resolve) => (ended = resolve));
  let position = 0;
  let next = 0;
  const open: LayerRequest[] = [];
  // A request the engine refused ends the sending, not the reading: the archive's own verdict, when
  // it fails its checks, is the better message (an engine refuses a layer whose bytes are wrong too).
  let refused: LayerRequest | undefined;
  for await (const chunk of chunksOf(input)) {
    if (options.signal?.aborted) throw cancelled();
    const end = position + chunk.length;
    refused ??= requests.find((r) => r.failure !== undefined);
    while (next < byOffset.length && byOffset[next].offset < end) open.push(byOffset[next++]);
    for (const layer of refused ? [] : [...open]) {
      const from = Math.max(layer.offset, position);
      const to = Math.min(layer.offset + layer.size, end);
      try {
        layer.request ??= await openLayerRequest(engine, layer.size);
        await layer.request.send(chunk.subarray(from - position, to - position));
        if (to === layer.offset + layer.size) await layer.request.send(padding(layer.size));
      } catch (e) {
        if (!layer.request) throw e;
        layer.failure ??= await layer.request.failure(e);
        refused = layer;
        break;
      }
      if (to === layer.offset + layer.size) {
        open.splice(open.indexOf(layer), 1);
        const k = requests.indexOf(layer);
        const below = k > 0 ? requests[k - 1].finished : undefined;
        layer.finish(k === requests.length - 1 ? () => Promise.all([below, inputEnded]) : async () => below);
      }
    }
    if (options.handOver) giveBack(chunk);
    position = end;
    options.onBytes?.(chunk.length);
  }
  if (refused) throw refused.failure;
  if (options.size !== undefined && position !== options.size) {
    throw new LighterError('INTERNAL', `The image tar held ${position} bytes where ${options.size} were announced`);
  }
  if (open.length || next < byOffset.length) throw new LighterError('INTERNAL', 'The archive ended before all its layers');
  ended();
}

/** A load request for one layer, its tar started with the layer's header. */
async function openLayerRequest(engine: EngineAccess, size: number): Promise<LoadRequest> {
  const request = await LoadRequest.open(engine);
  if (!request) throw new LighterError('INTERNAL', 'A load layer by layer needs a connection of its own to the engine');
  await request.send(fileHeader(layerName, size)).catch(async (e: unknown) => {
    throw await request.failure(e);
  });
  return request;
}

/** Removes the holding images this load may have made (those whose request's tail went out). */
async function removeHoldingImages(engine: EngineAccess, requests: LayerRequest[]): Promise<void> {
  for (const r of requests) {
    if (!r.holdingId || !r.tailSent) continue;
    // The engine may still be making it: wait for its verdict.
    await r.finished.catch(() => undefined);
    await removeImage(engine, r.holdingId).catch(() => undefined);
  }
}

async function removeImage(engine: EngineAccess, id: string): Promise<void> {
  const connection = await EngineConnection.open(engine.endpoint);
  if (!connection) return;
  try {
    connection.send('DELETE', `/images/${id}`);
    const response = await connection.response();
    await readText(response.body);
  } finally {
    connection.destroy();
  }
}

/**
 * Whether the engine loads a layer it already has without its data, as a load layer by layer needs:
 * Docker's own image store does (it looks each layer up by its chain before opening its file); the
 * containerd image store and Podman need every layer in the tar, and get the archive whole.
 */
export async function loadsLayerByLayer(engine: EngineAccess): Promise<boolean> {
  const connection = await EngineConnection.open(engine.endpoint).catch(() => undefined);
  if (!connection) return false;
  try {
    connection.send('GET', '/info');
    const response = await connection.response();
    const server = response.headers.get('server')?.[0] ?? '';
    if (response.status !== 200 || response.headers.has('libpod-api-version') || /libpod|podman/i.test(server)) return false;
    const info = JSON.parse(await readText(response.body, 1 << 20)) as { Driver?: unknown; DriverStatus?: unknown };
    return typeof info.Driver === 'string' && !JSON.stringify(info.DriverStatus ?? null).includes('containerd.snapshotter');
  } catch {
    return false;
  } finally {
    connection.destroy();
  }
}

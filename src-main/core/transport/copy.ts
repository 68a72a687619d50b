import { setMaxListeners } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { LighterError, throwIfAborted, isAbortError } from '../errors';
import { DigestStream, sha256 } from '../image/digest';
import { parseManifestDocument, type ManifestDocument } from '../image/manifest-document';
import { MediaType } from '../image/media-types';
import { hostPlatform, isAttestation, platformString, selectPlatformManifest } from '../image/platform';
import type { Descriptor, ImageIndex, ImageManifest, Platform } from '../image/types';
import type { JobContext } from '../jobs/manager';
import { DiffIDCheck, diffIDsOf } from './diff-id-check';
import { copyStaged } from './staging';
import type { ImageDestination, ImageSource, ManifestBlob } from './types';
import { canCopyWhole, copyWhole } from './whole-archive-copy';

export interface CopyOptions {
  /** The host's platform by default; a list; or every platform of an index, unchanged. */
  platforms?: 'host' | 'all' | Platform[];
  /** Blobs copied at once; 4 by default. */
  concurrency?: number;
  /** Where progress goes: a job's context, or anything shaped like it. */
  job?: Pick<JobContext, 'progress' | 'item'>;
  signal?: AbortSignal;
}

export interface CopyResult {
  /** Digest of the top manifest or index the destination now holds. */
  digest: string;
  mediaType: string;
  platforms: string[];
  blobsCopied: number;
  blobsSkipped: number;
  bytesCopied: number;
  /** True when the image went over as one archive stream rather than blob by blob. */
  streamed?: boolean;
}

interface Plan {
  top: ManifestBlob;
  /** Child manifests to write before the top, in order. */
  children: ManifestBlob[];
  blobs: Descriptor[];
  platforms: string[];
  /** The image manifests copied (one per platform). */
  images: ImageManifest[];
}

/** Configs are small; anything far larger is not one. */
const maxConfigSize = 20 << 20;

const MAX_INDEX_DEPTH = 4;

/**
 * The one copy engine: pull, save, load, export and import are all a copy from a source to a
 * destination. Every byte is hashed as it passes and checked against its descriptor; blobs the
 * destination already has are skipped; the top manifest is committed last. On failure or
 * cancellation the destination is told to drop what it staged.
 */
export async function copyImage(source: ImageSource, destination: ImageDestination, options: CopyOptions = {}): Promise<CopyResult> {
  if (canCopyWhole(source, destination, options)) {
    const whole = await copyWhole(source, destination, options);
    if (whole) return whole;
  }
  const { signal, job } = options;
  // Every blob in flight listens to the signal.
  if (signal) setMaxListeners(0, signal);
  try {
    throwIfAborted(signal);
    job?.progress({ message: `Reading ${source.name}` });
    const plan = await planCopy(source, destination, options);
    const diffIDs = destination.capabilities.verifiesDiffIDs ? await layerDiffIDs(source, plan.images, signal) : undefined;
    const totals = { copied: 0, skipped: 0, bytes: 0, done: 0 };
    const total = plan.blobs.reduce((sum, b) => sum + b.size, 0);
    job?.progress({ current: 0, total, unit: 'bytes', message: `Copying to ${destination.name}` });
    for (const b of plan.blobs) job?.item({ id: b.digest, label: blobLabel(b), status: 'waiting', current: 0, total: b.size });

    const concurrency = Math.max(1, options.concurrency ?? 4);
    const skipped = (blob: Descriptor) => {
      totals.skipped++;
      totals.done += blob.size;
      job?.item({ id: blob.digest, label: blobLabel(blob), status: 'already present', current: blob.size, total: blob.size });
      job?.progress({ current: totals.done });
    };
    const copied = (blob: Descriptor) => {
      totals.copied++;
      totals.bytes += blob.size;
      job?.item({ id: blob.digest, label: blobLabel(blob), status: 'verified', current: blob.size, total: blob.size });
    };
    // A destination that hashes what it writes off the main thread checks every blob, once, where
    // the source would otherwise hash on the thread that receives the bytes.
    const unverified = !!destination.capabilities.checksBlobs && (!source.verifiesBlobs || !!source.verificationOptional);
    // A diff_id check's inflater may still hold a chunk the destination has: only without one are
    // the chunks the destination's alone.
    const handOver = (blob: Descriptor) => !diffIDs?.has(blob.digest);
    /** The blob's bytes from the source, verified (unless the destination will) and counted as they flow. */
    const open = async (blob: Descriptor, openSignal?: AbortSignal): Promise<Readable> => {
      let seen = 0;
      const item = (status: string) => job?.item({ id: blob.digest, label: blobLabel(blob), status, current: seen, total: blob.size });
      item('copying');
      return verifiedBlob(source, blob, { signal: openSignal, unverified }, (n) => {
        seen += n;
        totals.done += n;
        item('copying');
        job?.progress({ current: totals.done });
      }, diffIDs?.get(blob.digest));
    };

    if (destination.capabilities.sequentialBlobs && source.remote && concurrency > 1) {
      await copyStaged(plan.blobs, concurrency - 1, {
        open,
        has: (blob) => destination.hasBlob(blob, signal),
        reserve: destination.reserveBlobs && ((blobs) => destination.reserveBlobs!(blobs)),
        write: async (blob, stream) => {
          if (!stream) return skipped(blob);
          await destination.putBlob(blob, stream, { signal, unverified, handOver: handOver(blob) });
          copied(blob);
        },
      }, signal);
    } else {
      await forEachLimited(plan.blobs, destination.capabilities.sequentialBlobs ? 1 : concurrency, async (blob) => {
        throwIfAborted(signal);
        if (await destination.hasBlob(blob, signal)) return skipped(blob);
        const stream = await open(blob, signal);
        await destination.putBlob(blob, stream, { signal, unverified, handOver: handOver(blob) });
        // The stream may have failed after the destination stopped reading it: never count that as copied.
        if (stream.errored) throw stream.errored;
        copied(blob);
      });
    }

    throwIfAborted(signal);
    for (const child of plan.children) await destination.putManifest(child, signal);
    throwIfAborted(signal);
    job?.progress({ message: 'Committing' });
    await destination.commit(plan.top, signal);
    return {
      digest: plan.top.digest,
      mediaType: plan.top.mediaType,
      platforms: plan.platforms,
      blobsCopied: totals.copied,
      blobsSkipped: totals.skipped,
      bytesCopied: totals.bytes,
    };
  } catch (e) {
    await destination.abort();
    if (signal?.aborted || isAbortError(e)) throw new LighterError('CANCELLED', 'Cancelled');
    throw e;
  }
}

/**
 * A blob's stream with its digest and size checked as it flows (unless the source already checks
 * its own streams, or the request leaves that to the destination), and its bytes counted. A wrong
 * byte fails the stream: the destination never keeps the blob.
 */
function verifiedBlob(source: ImageSource, blob: Descriptor, request: { signal?: AbortSignal; unverified?: boolean }, onBytes: (n: number) => void, diffID?: string): Promise<Readable> {
  const { signal, unverified } = request;
  return source.blob(blob, request).then((input) => {
    const count = new Transform({
      highWaterMark: 1 << 20,
      transform(chunk: Buffer, _encoding, done) {
        onBytes(chunk.length);
        done(null, chunk);
      },
    });
    const stages: NodeJS.ReadWriteStream[] = source.verifiesBlobs || unverified ? [] : [new DigestStream({ digest: blob.digest, size: blob.size, what: blobLabel(blob) })];
    if (diffID) stages.push(new DiffIDCheck(blob, diffID));
    pipeline([input, ...stages, count], { signal }).catch(() => undefined);
    return count;
  });
}

/** Reads the source's manifests, checks their digests and decides what the destination receives. */
export async function planCopy(source: ImageSource, destination: ImageDestination, options: CopyOptions = {}): Promise<Plan> {
  const top = checked(await source.topManifest(options.signal));
  const doc = parseManifestDocument(top.bytes, top.mediaType);
  if (doc.kind === 'manifest') {
    return { top, children: [], blobs: imageBlobs([doc]), platforms: [], images: imagesOf([doc]) };
  }

  const wanted = options.platforms ?? 'host';
  if (wanted === 'all') {
    if (!destination.capabilities.acceptsIndex) {
      throw new LighterError('UNSUPPORTED', `${destination.name} holds one platform per image: choose one with --platform`);
    }
    const children: ManifestBlob[] = [];
    const docs: ManifestDocument[] = [];
    await collect(source, doc.index, children, docs, options.signal, 1);
    const platforms = doc.index.manifests.filter((d) => d.platform && !isAttestation(d)).map((d) => platformString(d.platform!));
    return { top, children, blobs: imageBlobs(docs), platforms, images: imagesOf(docs) };
  }

  const want = wanted === 'host' ? [hostPlatform()] : wanted;
  const chosen = dedupe(want.map((p) => selectPlatformManifest(doc.index.manifests, p)));
  const manifests = await Promise.all(chosen.map(async (d) => checked(await source.manifest(d, options.signal), d)));
  const docs = manifests.map((m) => parseManifestDocument(m.bytes, m.mediaType));
  if (docs.some((d) => d.kind !== 'manifest')) throw new LighterError('UNSUPPORTED', 'A platform entry points at another index; copy with --all-platforms');
  const platforms = chosen.map((d) => platformString(d.platform!));
  if (chosen.length === 1) return { top: manifests[0], children: [], blobs: imageBlobs(docs), platforms, images: imagesOf(docs) };
  if (!destination.capabilities.acceptsIndex) {
    throw new LighterError('UNSUPPORTED', `${destination.name} holds one platform per image: choose one platform`);
  }
  const subset: ImageIndex = { ...doc.index, manifests: chosen };
  const bytes = Buffer.from(JSON.stringify(subset));
  return { top: { bytes, mediaType: doc.mediaType, digest: sha256(bytes) }, children: manifests, blobs: imageBlobs(docs), platforms, images: imagesOf(docs) };
}

async function collect(
  source: ImageSource,
  index: ImageIndex,
  children: ManifestBlob[],
  docs: ManifestDocument[],
  signal: AbortSignal | undefined,
  depth: number,
): Promise<void> {
  if (depth > MAX_INDEX_DEPTH) throw new LighterError('UNSUPPORTED', `Indexes nested more than ${MAX_INDEX_DEPTH} deep`);
  for (const d of index.manifests) {
    const m = checked(await source.manifest(d, signal), d);
    const doc = parseManifestDocument(m.bytes, m.mediaType);
    if (doc.kind === 'index') await collect(source, doc.index, children, docs, signal, depth + 1);
    else docs.push(doc);
    children.push(m);
  }
}

/** The manifest's bytes must hash to the digest it is known by. */
function checked(m: ManifestBlob, descriptor?: Descriptor): ManifestBlob {
  const actual = sha256(m.bytes);
  const expected = descriptor?.digest ?? m.digest;
  if (actual !== expected) {
    throw new LighterError('DIGEST_MISMATCH', `Manifest digest mismatch: expected ${expected}, got ${actual}`, { expected, actual });
  }
  return { ...m, digest: actual, mediaType: m.mediaType || descriptor?.mediaType || MediaType.ociManifest };
}

function imageBlobs(docs: ManifestDocument[]): Descriptor[] {
  const byDigest = new Map<string, Descriptor>();
  for (const doc of docs) {
    if (doc.kind !== 'manifest') continue;
    for (const d of [doc.manifest.config, ...doc.manifest.layers]) if (!byDigest.has(d.digest)) byDigest.set(d.digest, d);
  }
  return [...byDigest.values()];
}

function imagesOf(docs: ManifestDocument[]): ImageManifest[] {
  return docs.flatMap((doc) => (doc.kind === 'manifest' ? [doc.manifest] : []));
}

/** Each layer's diff_id, from its image's config (read here, its digest checked). */
async function layerDiffIDs(source: ImageSource, images: ImageManifest[], signal?: AbortSignal): Promise<Map<string, string>> {
  const byLayer = new Map<string, string>();
  for (const image of images) {
    const what = `image config ${image.config.digest}`;
    if (image.config.size > maxConfigSize) throw new LighterError('INVALID_INPUT', `The ${what} claims ${image.config.size} bytes; configs are far smaller`);
    const parts: Buffer[] = [];
    for await (const chunk of await verifiedBlob(source, image.config, { signal }, () => {})) parts.push(chunk as Buffer);
    diffIDsOf(Buffer.concat(parts), image.layers, what).forEach((id, i) => byLayer.set(image.layers[i].digest, id));
  }
  return byLayer;
}

function dedupe(descriptors: Descriptor[]): Descriptor[] {
  return [...new Map(descriptors.map((d) => [d.digest, d])).values()];
}

function blobLabel(d: Descriptor): string {
  const kind = d.mediaType.includes('config') ? 'config' : 'layer';
  return `${kind} ${d.digest.slice(7, 19)}`;
}

/** Runs `work` over items with at most `limit` at once; the first failure stops new work and is thrown. */
export async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

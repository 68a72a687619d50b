import { Readable, Transform } from 'node:stream';
import { LighterError } from '../errors';
import type { Descriptor } from '../image/types';
import { familiarName } from '../ref/reference';
import { blobExists } from './blobs';
import { type RegistryClient, type Repository, pullScope, pushScope } from './client';
import { type HttpResponse, header } from './http';
import { retryDelayMs, sleep } from './retry';

export interface UploadBlobOptions {
  signal?: AbortSignal;
  /** Another repository of the same registry that may already hold the blob (cross-repo mount). */
  mountFrom?: string;
  /** Send in PATCH chunks of this many bytes instead of one PUT. */
  chunkSize?: number;
  onProgress?: (bytes: number, total: number) => void;
}

export type UploadOutcome = 'exists' | 'mounted' | 'uploaded';

function nextLocation(res: HttpResponse, current: string, what: string): string {
  const location = header(res, 'location');
  if (!location) throw new LighterError('REGISTRY_ERROR', `${what}: registry gave no upload location`);
  return new URL(location, current).toString();
}

function withDigest(location: string, digest: string): string {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url.toString();
}

function counting(total: number, onProgress?: (bytes: number, total: number) => void, start = 0): Transform {
  let sent = start;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      sent += chunk.length;
      onProgress?.(sent, total);
      cb(null, chunk);
    },
  });
}

/** Reads exactly `size` bytes (or until the end) from an async iterator of chunks. */
async function takeBytes(iterator: AsyncIterator<Buffer>, carry: { rest?: Buffer }, size: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  while (have < size) {
    let chunk = carry.rest;
    carry.rest = undefined;
    if (!chunk) {
      const next = await iterator.next();
      if (next.done) break;
      chunk = next.value;
    }
    const need = size - have;
    if (chunk.length > need) {
      carry.rest = chunk.subarray(need);
      chunk = chunk.subarray(0, need);
    }
    parts.push(chunk);
    have += chunk.length;
  }
  return Buffer.concat(parts);
}

/**
 * Pushes one blob: skipped when present, mounted from `mountFrom` when the registry can, else
 * uploaded in one PUT or in PATCH chunks. `open` gives the blob's bytes afresh for each try.
 */
export async function uploadBlob(
  client: RegistryClient,
  repo: Repository,
  descriptor: Descriptor,
  open: () => Readable | Buffer,
  options: UploadBlobOptions = {},
): Promise<UploadOutcome> {
  const { signal } = options;
  const what = `upload of ${descriptor.digest.slice(0, 19)}… to ${familiarName(repo)}`;
  const scopes = [pushScope(repo), ...(options.mountFrom ? [pullScope({ domain: repo.domain, path: options.mountFrom })] : [])];
  if (await blobExists(client, repo, descriptor.digest, signal)) return 'exists';

  for (let attempt = 1; ; attempt++) {
    try {
      const query = options.mountFrom ? `?mount=${encodeURIComponent(descriptor.digest)}&from=${encodeURIComponent(options.mountFrom)}` : '';
      const started = await client.call(repo.domain, { method: 'POST', path: `/v2/${repo.path}/blobs/uploads/${query}`, headers: { 'content-length': '0' }, scopes, signal, retry: true, what });
      await started.body.dump().catch(() => undefined);
      if (started.status === 201 && options.mountFrom) return 'mounted';
      let location = nextLocation(started, started.url, what);
      const opened = open();
      if (!options.chunkSize) {
        const body = Buffer.isBuffer(opened) ? opened : opened.pipe(counting(descriptor.size, options.onProgress));
        const done = await client.call(repo.domain, {
          method: 'PUT',
          path: withDigest(location, descriptor.digest),
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(descriptor.size) },
          body: () => body,
          scopes,
          signal,
          retry: false,
          what,
        });
        await done.body.dump().catch(() => undefined);
        if (Buffer.isBuffer(opened)) options.onProgress?.(descriptor.size, descriptor.size);
        return 'uploaded';
      }
      const source = Buffer.isBuffer(opened) ? Readable.from([opened]) : opened;
      const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      const carry: { rest?: Buffer } = {};
      let sent = 0;
      while (sent < descriptor.size) {
        const chunk = await takeBytes(iterator, carry, Math.min(options.chunkSize, descriptor.size - sent));
        if (chunk.length === 0) throw new LighterError('INVALID_INPUT', `${what}: source ended after ${sent} of ${descriptor.size} bytes`);
        const res = await client.call(repo.domain, {
          method: 'PATCH',
          path: location,
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(chunk.length), 'content-range': `${sent}-${sent + chunk.length - 1}` },
          body: () => chunk,
          scopes,
          signal,
          retry: false,
          what,
        });
        await res.body.dump().catch(() => undefined);
        location = nextLocation(res, location, what);
        sent += chunk.length;
        options.onProgress?.(sent, descriptor.size);
      }
      const done = await client.call(repo.domain, { method: 'PUT', path: withDigest(location, descriptor.digest), headers: { 'content-length': '0' }, scopes, signal, retry: false, what });
      await done.body.dump().catch(() => undefined);
      return 'uploaded';
    } catch (e) {
      // A broken upload session cannot be continued reliably: start a new one, a bounded number of times.
      const retryable = e instanceof LighterError && (e.details?.retryable || (typeof e.details?.status === 'number' && e.details.status >= 500));
      if (!retryable || attempt >= client.retryPolicy.attempts) throw e;
      await sleep(retryDelayMs(attempt, client.retryPolicy), signal);
    }
  }
}

import type { Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { LighterError } from '../errors';
import { DigestStream } from '../image/digest';

/**
 * sha256 of large blobs on a helper thread, so the main thread only receives and writes: bytes are
 * copied into a ring shared with the helper, which hashes them and says how far it got.
 */

/** Smaller blobs are hashed in place: a thread hop costs more than it saves. */
export const workerMinBytes = 1 << 20;
const ringBytes = 8 << 20;
/** The helper is told about new bytes each half ring: it hashes one half while the other fills, and wakes rarely. */
const announceBytes = ringBytes / 2;

const helperSource = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const jobs = new Map();
parentPort.on('message', (m) => {
  if (m.ring) jobs.set(m.id, { ring: new Uint8Array(m.ring), hash: createHash('sha256'), done: 0 });
  const job = jobs.get(m.id);
  if (!job) return;
  if (m.cancel) return void jobs.delete(m.id);
  const size = job.ring.length;
  while (job.done < m.upTo) {
    const at = job.done % size;
    const n = Math.min(m.upTo - job.done, size - at);
    job.hash.update(job.ring.subarray(at, at + n));
    job.done += n;
  }
  if (m.end) {
    jobs.delete(m.id);
    parentPort.postMessage({ id: m.id, digest: 'sha256:' + job.hash.digest('hex') });
  } else parentPort.postMessage({ id: m.id, consumed: job.done });
});
`;

interface Job {
  onConsumed(consumed: number): void;
  onDigest(digest: string): void;
  onFailure(error: Error): void;
}

/** One helper thread for the process, started on first use; it keeps the process alive only while someone waits for it. */
class HashHelper {
  private worker?: Worker;
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  private waiters = 0;

  /** Waits for an answer of the helper, keeping the process alive meanwhile. */
  async await<T>(answer: Promise<T>): Promise<T> {
    const worker = this.worker;
    if (this.waiters++ === 0) worker?.ref();
    try {
      return await answer;
    } finally {
      if (--this.waiters === 0) worker?.unref();
    }
  }

  open(job: Job): { id: number; post(message: object): void; close(): void } {
    const worker = this.start();
    const id = this.nextId++;
    this.jobs.set(id, job);
    return {
      id,
      post: (message) => worker.postMessage({ id, ...message }),
      close: () => {
        if (!this.jobs.delete(id)) return;
        worker.postMessage({ id, cancel: true });
      },
    };
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(helperSource, { eval: true });
    worker.unref();
    worker.on('message', (m: { id: number; consumed?: number; digest?: string }) => {
      const job = this.jobs.get(m.id);
      if (!job) return;
      if (m.digest !== undefined) job.onDigest(m.digest);
      else job.onConsumed(m.consumed!);
    });
    const fail = (e: unknown) => {
      if (this.worker === worker) this.worker = undefined;
      const error = new LighterError('INTERNAL', `The hashing thread stopped: ${(e as Error)?.message ?? e}`);
      for (const job of this.jobs.values()) job.onFailure(error);
      this.jobs.clear();
    };
    worker.on('error', fail).on('exit', (code) => fail(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }
}

const helper = new HashHelper();

/**
 * Like DigestStream with an expected digest, but hashing on the helper thread: chunks pass through
 * unchanged, and the stream fails with DIGEST_MISMATCH at the end instead of finishing.
 */
export class WorkerDigestStream extends Transform {
  bytes = 0;
  private readonly ring = new SharedArrayBuffer(ringBytes);
  private readonly view = new Uint8Array(this.ring);
  private consumed = 0;
  private announced = 0;
  private waiting?: () => void;
  private finished?: (digest: string | Error) => void;
  private failure?: Error;
  private readonly job: ReturnType<HashHelper['open']>;

  constructor(private readonly expected: { digest: string; size?: number; what?: string }) {
    super({ highWaterMark: 1 << 20 });
    this.job = helper.open({
      onConsumed: (consumed) => {
        this.consumed = consumed;
        this.wake();
      },
      onDigest: (digest) => this.finished?.(digest),
      onFailure: (error) => {
        this.failure = error;
        this.wake();
        this.finished?.(error);
      },
    });
    this.job.post({ ring: this.ring, upTo: 0 });
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.copy(chunk).then(
      () => callback(null, chunk),
      (e) => callback(e),
    );
  }

  /** Copies a chunk into the ring, waiting for the helper whenever the ring is full. */
  private async copy(chunk: Buffer): Promise<void> {
    let from = 0;
    while (from < chunk.length) {
      if (this.failure) throw this.failure;
      const free = ringBytes - (this.bytes - this.consumed);
      if (free === 0) {
        this.announce();
        await helper.await(new Promise<void>((resolve) => (this.waiting = resolve)));
        continue;
      }
      const at = this.bytes % ringBytes;
      const n = Math.min(free, chunk.length - from, ringBytes - at);
      this.view.set(chunk.subarray(from, from + n), at);
      from += n;
      this.bytes += n;
    }
    if (this.bytes - this.announced >= announceBytes) this.announce();
  }

  private announce(): void {
    if (this.announced === this.bytes) return;
    this.announced = this.bytes;
    this.job.post({ upTo: this.bytes });
  }

  override _flush(callback: TransformCallback): void {
    if (this.failure) return callback(this.failure);
    const result = new Promise<string | Error>((resolve) => {
      this.finished = resolve;
      this.job.post({ upTo: this.bytes, end: true });
    });
    void helper.await(result).then((result) => {
      this.job.close();
      callback(result instanceof Error ? result : mismatch(this.expected, result, this.bytes));
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.job.close();
    callback(error);
  }
}

function mismatch(expected: { digest: string; size?: number; what?: string }, actual: string, bytes: number): LighterError | null {
  const what = expected.what ?? 'blob';
  if (expected.size !== undefined && expected.size >= 0 && expected.size !== bytes) {
    return new LighterError('DIGEST_MISMATCH', `Size mismatch for ${what} ${expected.digest}: expected ${expected.size} bytes, got ${bytes}`, {
      expected: expected.digest,
      expectedSize: expected.size,
      actualSize: bytes,
    });
  }
  if (actual !== expected.digest) {
    return new LighterError('DIGEST_MISMATCH', `Digest mismatch for ${what}: expected ${expected.digest}, got ${actual}`, { expected: expected.digest, actual });
  }
  return null;
}

/** The verifying stream for a blob: on the helper thread when large and hashed from the start, else in place. */
export function verifyingStream(expected: { digest: string; size: number; what?: string }, resume?: { hash: Hash; bytes: number }): DigestStream | WorkerDigestStream {
  if (resume || expected.size < workerMinBytes) return new DigestStream(expected, resume);
  return new WorkerDigestStream(expected);
}

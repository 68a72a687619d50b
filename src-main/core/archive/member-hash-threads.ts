import { Worker } from 'node:worker_threads';
import { LighterError } from '../errors';
import type { Digest } from '../image/digest';
import type { HashOutcome } from './content-hasher';
import { decompressionProblem, describeStreamError, type Compression } from './compression';
import type { ArchiveLimits } from './limits';

/**
 * Hashes a member of a tar file on helper threads: read at its offset, sha256 as stored and, for
 * gzip, inflated and hashed again under the bomb caps. Each helper does the whole job for its
 * member, so the main thread stays free to stream the archive to wherever it goes.
 */

/** What the helpers can undo; other compressions are hashed in-process. */
export function hashableOnThread(compression: Compression): boolean {
  return compression === 'none' || compression === 'gzip';
}

interface Job {
  path: string;
  offset: number;
  size: number;
  gzip: boolean;
  limits: Pick<ArchiveLimits, 'maxDecompressedBytes' | 'maxCompressionRatio' | 'ratioGraceBytes'>;
}

/** A helper's answer; `short` when the file held fewer bytes than the member claims. */
type Answer =
  | { digest: string; short?: false; plain?: { digest: string; size: number }; bomb?: { bytes: number; compressed: number }; inflateError?: { code?: string; message: string } }
  | { short: true };

// Plain CommonJS, evaluated in the helper: it cannot import the bundle. The bomb test mirrors
// decompressionProblem, which words the refusal on this side.
const helperSource = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const zlib = require('node:zlib');
const inChunk = 1 << 20;
const outChunk = 256 << 10;
parentPort.on('message', (job) => run(job).then((answer) => parentPort.postMessage(answer)));
async function run({ path, offset, size, gzip, limits }) {
  const fd = openSync(path, 'r');
  try {
    const stored = createHash('sha256');
    const plain = createHash('sha256');
    let bytes = 0, read = 0, bomb, inflateError;
    const inflater = gzip ? zlib.createGunzip({ chunkSize: outChunk }) : undefined;
    const inflated = inflater && new Promise((done) => {
      inflater.on('data', (out) => {
        bytes += out.length;
        plain.update(out);
        const ratioBroken = bytes > limits.ratioGraceBytes && bytes / Math.max(1, read) > limits.maxCompressionRatio;
        if (!bomb && (bytes > limits.maxDecompressedBytes || ratioBroken)) {
          bomb = { bytes, compressed: Math.max(1, read) };
          inflater.destroy();
        }
      });
      inflater.on('error', (e) => { inflateError = { code: e.code, message: e.message }; });
      inflater.on('close', done);
    });
    // Two read buffers, each reused once the inflater is done with it: memory stays flat.
    const buffers = [Buffer.allocUnsafe(inChunk), Buffer.allocUnsafe(inChunk)];
    const inUse = [undefined, undefined];
    for (let turn = 0; read < size; turn ^= 1) {
      if (inUse[turn]) await Promise.race([inUse[turn], inflated]);
      const n = readSync(fd, buffers[turn], 0, Math.min(inChunk, size - read), offset + read);
      if (n === 0) return { short: true };
      const piece = buffers[turn].subarray(0, n);
      read += n;
      stored.update(piece);
      if (inflater && !bomb && !inflateError) inUse[turn] = new Promise((done) => inflater.write(piece, () => done()));
    }
    if (inflater) {
      inflater.end();
      await inflated;
    }
    const answer = { digest: 'sha256:' + stored.digest('hex') };
    if (bomb) answer.bomb = bomb;
    else if (inflateError) answer.inflateError = inflateError;
    else if (inflater) answer.plain = { digest: 'sha256:' + plain.digest('hex'), size: bytes };
    return answer;
  } finally {
    closeSync(fd);
  }
}
`;

/** One helper thread, one job at a time; it holds the process open only while it works. */
class Helper {
  private readonly worker = new Worker(helperSource, { eval: true });
  private waiting?: { resolve(answer: Answer): void; reject(error: Error): void };
  dead = false;

  constructor() {
    this.worker.unref();
    this.worker.on('message', (answer: Answer) => this.settle((w) => w.resolve(answer)));
    const fail = (e: unknown) => {
      this.dead = true;
      this.settle((w) => w.reject(new LighterError('INTERNAL', `A hashing thread stopped: ${(e as Error)?.message ?? e}`)));
    };
    this.worker.on('error', fail).on('exit', (code) => fail(`exit code ${code}`));
  }

  run(job: Job, signal: AbortSignal): Promise<Answer> {
    const stop = () => {
      // A job cannot be interrupted half-way: the thread goes, a new one serves the next job.
      this.dead = true;
      void this.worker.terminate();
      this.settle((w) => w.reject(new LighterError('CANCELLED', 'Cancelled')));
    };
    return new Promise<Answer>((resolve, reject) => {
      if (signal.aborted) return reject(new LighterError('CANCELLED', 'Cancelled'));
      this.waiting = { resolve, reject };
      signal.addEventListener('abort', stop, { once: true });
      this.worker.ref();
      this.worker.postMessage(job);
    }).finally(() => signal.removeEventListener('abort', stop));
  }

  private settle(how: (waiting: NonNullable<Helper['waiting']>) => void): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    this.worker.unref();
    if (waiting) how(waiting);
  }
}

const idle: Helper[] = [];

/**
 * The member's digest as stored and, for gzip, its decompressed digest (or why there is none);
 * `what` names it in decompression errors. Undefined when the file ended before the member did.
 * Rejects with CANCELLED when `signal` fires.
 */
export async function hashMemberOnThread(
  job: Omit<Job, 'gzip'> & { compression: Compression },
  what: string,
  signal: AbortSignal,
): Promise<{ digest: Digest; decompressed?: HashOutcome } | undefined> {
  const helper = idle.pop() ?? new Helper();
  let answer: Answer;
  try {
    answer = await helper.run({ path: job.path, offset: job.offset, size: job.size, gzip: job.compression === 'gzip', limits: job.limits }, signal);
  } finally {
    if (!helper.dead) idle.push(helper);
  }
  if (answer.short) return undefined;
  const digest = answer.digest as Digest;
  if (job.compression !== 'gzip') return { digest };
  if (answer.bomb) return { digest, decompressed: { error: decompressionProblem(answer.bomb.bytes, answer.bomb.compressed, job.limits, what) } };
  if (answer.inflateError) {
    const error = Object.assign(new Error(answer.inflateError.message), { code: answer.inflateError.code });
    return { digest, decompressed: { error: describeStreamError(error, what) } };
  }
  return { digest, decompressed: { digest: answer.plain!.digest as Digest, size: answer.plain!.size } };
}

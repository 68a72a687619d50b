import { open } from 'node:fs/promises';
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
  /** Opened by the caller, which closes it once the job is over, however it ended. */
  fd: number;
  offset: number;
  size: number;
  gzip: boolean;
  limits: Pick<ArchiveLimits, 'maxDecompressedBytes' | 'maxCompressionRatio' | 'ratioGraceBytes'>;
}

/** A helper's answer; `short` when the file held fewer bytes than the member claims. */
type Answer =
  | { digest: string; short?: false; plain?: { digest: string; size: number }; bomb?: { bytes: number; compressed: number }; inflateError?: { code?: string; message: string } }
  | { short: true }
  | { readError: { code?: string; message: string } };

// Plain CommonJS, evaluated in the helper: it cannot import the bundle. The bomb test mirrors
// decompressionProblem, which words the refusal on this side.
const helperSource = `
const { parentPort } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { createHash } = require('node:crypto');
const zlib = require('node:zlib');
const inChunk = 1 << 20;
const outChunk = 256 << 10;
parentPort.on('message', (job) => run(job).then(
  (answer) => parentPort.postMessage(answer),
  (e) => parentPort.postMessage({ readError: { code: e.code, message: e.message } }),
));
async function run({ fd, offset, size, gzip, limits }) {
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
    if (n === 0) {
      inflater?.destroy();
      return { short: true };
    }
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
}
`;

/** One helper thread, one job at a time; it holds the process open only while it works. */
class Helper {
  private readonly worker = new Worker(helperSource, { eval: true });
  private waiting?: { resolve(answer: Answer): void; reject(error: Error): void };
  dead = false;
  private stopping = false;

  constructor() {
    this.worker.unref();
    this.worker.on('message', (answer: Answer) => this.settle((w) => w.resolve(answer)));
    // Also how a cancelled job ends: once the thread has stopped, so the caller may close the file.
    const fail = (e: unknown) => {
      this.dead = true;
      const error = this.stopping ? new LighterError('CANCELLED', 'Cancelled') : new LighterError('INTERNAL', `A hashing thread stopped: ${(e as Error)?.message ?? e}`);
      this.settle((w) => w.reject(error));
    };
    this.worker.on('error', fail).on('exit', (code) => fail(`exit code ${code}`));
  }

  run(job: Job, signal: AbortSignal): Promise<Answer> {
    const stop = () => {
      // A job cannot be interrupted half-way: the thread goes, a new one serves the next job.
      this.stopping = true;
      void this.worker.terminate();
    };
    return new Promise<Answer>((resolve, reject) => {
      if (signal.aborted) return reject(new LighterError('CANCELLED', 'Cancelled'));
      this.waiting = { resolve, reject };
      signal.addEventListener('abort', stop, { once: true });
      this.worker.ref();
      this.worker.postMessage(job);
    }).finally(() => signal.removeEventListener('abort', stop));
  }

  /** Lets the thread go; for helpers nobody will need. */
  retire(): void {
    this.dead = true;
    this.stopping = true;
    void this.worker.terminate();
  }

  private settle(how: (waiting: NonNullable<Helper['waiting']>) => void): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    this.worker.unref();
    if (waiting) how(waiting);
  }
}

/** Helpers waiting for work; more than this many are let go. */
const idle: Helper[] = [];
const idleKept = 2;

/**
 * The member's digest as stored and, for gzip, its decompressed digest (or why there is none);
 * `what` names it in decompression errors. Undefined when the file ended before the member did.
 * Rejects with CANCELLED when `signal` fires.
 */
export async function hashMemberOnThread(
  job: Omit<Job, 'gzip' | 'fd'> & { path: string; compression: Compression },
  what: string,
  signal: AbortSignal,
): Promise<{ digest: Digest; decompressed?: HashOutcome } | undefined> {
  const file = await open(job.path, 'r');
  const helper = idle.pop() ?? new Helper();
  let answer: Answer;
  try {
    answer = await helper.run({ fd: file.fd, offset: job.offset, size: job.size, gzip: job.compression === 'gzip', limits: job.limits }, signal);
  } finally {
    await file.close();
    if (!helper.dead && idle.length < idleKept) idle.push(helper);
    else if (!helper.dead) helper.retire();
  }
  if ('readError' in answer) throw Object.assign(new Error(`Cannot read ${job.path}: ${answer.readError.message}`), { code: answer.readError.code });
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

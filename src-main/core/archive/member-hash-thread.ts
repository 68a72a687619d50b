import { Worker } from 'node:worker_threads';
import { LighterError, cancelled } from '../errors';
import type { Digest } from '../image/digest';
import { decompressionProblem, describeStreamError, type DecompressionLimits } from './compression';
import type { HashOutcome } from './content-hasher';

/**
 * Hashes members of a tar file on a helper thread, which reads the file itself: the bytes as stored
 * and, for gzip members, inflated (a layer's diffID). The main thread, busy feeding an engine the
 * same file, then pays nothing per byte; on two cores a gzip archive reached the engine 0.3–0.5 s
 * sooner. The thread works synchronously (no thread-pool round trip per chunk for reads or zlib):
 * 0.1–0.3 s sooner again.
 */

export interface MemberToHash {
  path: string;
  /** Where the member's data starts in the file, and its length. */
  offset: number;
  size: number;
  gzip: boolean;
  /** For a member still being written: how much of it is in the file; the hashing keeps up behind. */
  growth?: MemberGrowth;
}

/** A position that only grows, and who waits for it: how much of a member being written is in the file, or how far a scan has come. */
export class MemberGrowth {
  available = 0;
  private listener?: (available: number) => void;
  private waiting: { size: number; resolve: () => void }[] = [];

  grow(available: number): void {
    if (available <= this.available) return;
    this.available = available;
    this.listener?.(available);
    const ready = this.waiting.filter((w) => w.size <= available);
    this.waiting = this.waiting.filter((w) => w.size > available);
    for (const w of ready) w.resolve();
  }

  /** Called with every later growth (one follower). */
  follow(listener: ((available: number) => void) | undefined): void {
    this.listener = listener;
  }

  /** Resolves once `size` bytes are in the file. */
  reached(size: number): Promise<void> {
    if (this.available >= size) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ size, resolve }));
  }
}

export interface MemberHashes {
  digest: Digest;
  /** Bytes found; less than asked when the file got shorter. */
  size: number;
  /** For gzip members: the inflated hash, or why there is none. */
  decompressed?: HashOutcome;
}

type InflateFailure = { kind: 'bomb'; compressed: number; decompressed: number } | { kind: 'zlib'; code?: string; message: string };

interface Reply {
  id: number;
  digest?: Digest;
  size?: number;
  inflated?: { digest: Digest; size: number } | { failure: InflateFailure };
  error?: { code?: string; message: string };
  cancelled?: boolean;
}

const helperSource = `
const { parentPort, workerData } = require('node:worker_threads');
// Linux sets a thread's own priority this way (elsewhere it would be the whole process's).
if (workerData.nice && process.platform === 'linux') {
  try { require('node:os').setPriority(0, workerData.nice); } catch {}
}
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const zlib = require('node:zlib');
const running = new Set();
const stopped = new Set();
// Members still being written: how much of each is in the file, and who waits for more.
const readable = new Map();
const wakers = new Map();
const wake = (id) => {
  const resolve = wakers.get(id);
  wakers.delete(id);
  if (resolve) resolve();
};
parentPort.on('message', (m) => {
  if (m.cancel) {
    if (running.has(m.id)) stopped.add(m.id);
    return wake(m.id);
  }
  if (m.grown !== undefined) {
    if (running.has(m.id)) readable.set(m.id, m.grown);
    return wake(m.id);
  }
  running.add(m.id);
  if (m.readable !== undefined) readable.set(m.id, m.readable);
  hashMember(m)
    .then((r) => parentPort.postMessage({ id: m.id, ...r }), (e) => parentPort.postMessage({ id: m.id, error: { code: e && e.code, message: String((e && e.message) || e) } }))
    .finally(() => {
      running.delete(m.id);
      stopped.delete(m.id);
      readable.delete(m.id);
    });
});
// The thread's own work is done synchronously (reads, hashing, inflating): no thread-pool round trip
// per chunk. Every 8 MiB it lets messages in, so a cancel is seen.
const turn = () => new Promise((resolve) => setImmediate(resolve));
async function hashMember(job) {
  const file = openSync(job.path, 'r');
  const stored = createHash('sha256');
  const inflated = job.gzip ? inflater(job.limits) : undefined;
  const buffer = Buffer.allocUnsafe(1 << 20);
  // How far the member may be read now: all of it, or as far as it has been written.
  const end = () => Math.min(job.size, readable.has(job.id) ? readable.get(job.id) : job.size);
  let size = 0;
  try {
    for (let chunks = 1; size < job.size; chunks++) {
      if (chunks % 8 === 0) await turn();
      while (!stopped.has(job.id) && size >= end()) await new Promise((resolve) => wakers.set(job.id, resolve));
      if (stopped.has(job.id)) return { cancelled: true };
      const bytesRead = readSync(file, buffer, 0, Math.min(buffer.length, end() - size), job.offset + size);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      stored.update(chunk);
      size += bytesRead;
      if (inflated) inflated.write(chunk, size);
    }
    return { digest: 'sha256:' + stored.digest('hex'), size, inflated: inflated && inflated.end(size) };
  } finally {
    closeSync(file);
    if (inflated) inflated.close();
  }
}
// Gunzip driven through its handle, the way zlib's own *Sync functions drive it, into one reused
// output buffer: memory stays at 1 MiB whatever the ratio, and the bomb check runs per buffer.
function inflater(limits) {
  const gunzip = zlib.createGunzip();
  gunzip.on('error', () => {}); // read synchronously from gunzip.errored below
  const out = Buffer.allocUnsafe(1 << 20);
  const hash = createHash('sha256');
  let size = 0;
  let failure;
  const run = (flush, input, compressed) => {
    let at = 0;
    let left = input.length;
    for (;;) {
      gunzip._handle.writeSync(flush, input, at, left, out, 0, out.length);
      if (gunzip.destroyed) {
        const e = gunzip.errored;
        failure = { kind: 'zlib', code: e && e.code, message: String((e && e.message) || e) };
        return;
      }
      const [outLeft, inLeft] = gunzip._writeState;
      const produced = out.length - outLeft;
      if (produced > 0) {
        hash.update(out.subarray(0, produced));
        size += produced;
        const ratio = size > limits.ratioGraceBytes && size / Math.max(1, compressed) > limits.maxCompressionRatio;
        if (size > limits.maxDecompressedBytes || ratio) {
          failure = { kind: 'bomb', compressed, decompressed: size };
          return;
        }
      }
      at += left - inLeft;
      left = inLeft;
      // Room left in the output: zlib took all it wanted (input it left is padding past the end).
      if (outLeft !== 0) return;
    }
  };
  return {
    write(chunk, total) {
      if (!failure) run(zlib.constants.Z_NO_FLUSH, chunk, total);
    },
    end(total) {
      if (!failure) run(zlib.constants.Z_FINISH, Buffer.alloc(0), total);
      return failure ? { failure } : { digest: 'sha256:' + hash.digest('hex'), size };
    },
    close() {
      gunzip.close();
    },
  };
}
`;

/** How long a helper thread stays up without work: it holds ≈8 MB, given back while an engine works on what was read. */
const idleMs = 500;

/** One helper thread, started on first use and ended when idle; it keeps the process alive only while it has work. */
class MemberHashThread {
  /** `nice`: the thread's priority on Linux (0 normal, up to 19 lowest). */
  constructor(private readonly nice = 0) {}

  private worker?: Worker;
  private idle?: NodeJS.Timeout;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private nextId = 1;

  /** Members being hashed. */
  get busy(): number {
    return this.waiting.size;
  }

  /** Whether the thread is up. */
  get running(): boolean {
    return this.worker !== undefined;
  }

  hash(member: MemberToHash, limits: DecompressionLimits, what: string, signal: AbortSignal): Promise<MemberHashes> {
    if (signal.aborted) return Promise.reject(cancelled());
    const worker = this.start();
    const id = this.nextId++;
    const stop = () => worker.postMessage({ id, cancel: true });
    signal.addEventListener('abort', stop, { once: true });
    const reply = new Promise<Reply>((resolve) => this.waiting.set(id, resolve));
    if (this.waiting.size === 1) worker.ref();
    const { growth, ...job } = member;
    worker.postMessage({ id, ...job, readable: growth?.available, limits: { ...limits } });
    growth?.follow((available) => worker.postMessage({ id, grown: available }));
    return reply.then((r) => {
      signal.removeEventListener('abort', stop);
      growth?.follow(undefined);
      return answer(r, limits, what);
    });
  }

  /**
   * Starts the thread before its first member comes, so that member does not wait ≈0.1 s for it to
   * boot; with no member within `graceMs`, it ends.
   */
  warm(graceMs: number): void {
    if (this.worker) return;
    const worker = this.start();
    this.idle = setTimeout(() => this.end(worker), graceMs).unref();
  }

  private start(): Worker {
    clearTimeout(this.idle);
    if (this.worker) return this.worker;
    const worker = new Worker(helperSource, { eval: true, workerData: { nice: this.nice } });
    worker.on('message', (reply: Reply) => {
      const resolve = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) {
        worker.unref();
        this.idle = setTimeout(() => this.end(worker), idleMs).unref();
      }
      resolve?.(reply);
    });
    const fail = (e: unknown) => {
      // A thread ended when idle may exit after its successor took members: those are not its own.
      if (this.worker !== worker) return;
      this.worker = undefined;
      const message = `The hashing thread stopped: ${(e as Error)?.message ?? e}`;
      for (const [id, resolve] of this.waiting) resolve({ id, error: { code: 'INTERNAL', message } });
      this.waiting.clear();
    };
    worker.on('error', fail).on('exit', (code) => fail(`exit code ${code}`));
    // After the listeners: a 'message' listener holds the process open again.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private end(worker: Worker): void {
    if (this.worker !== worker || this.waiting.size > 0) return;
    this.worker = undefined;
    void worker.terminate();
  }
}

/** The helper's reply as the in-thread hashers would have put it: the same errors, word for word. */
function answer(reply: Reply, limits: DecompressionLimits, what: string): MemberHashes {
  if (reply.cancelled) throw cancelled();
  if (reply.error) {
    if (reply.error.code === 'INTERNAL') throw new LighterError('INTERNAL', reply.error.message);
    throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
  }
  const hashes: MemberHashes = { digest: reply.digest!, size: reply.size! };
  const inflated = reply.inflated;
  if (!inflated) return hashes;
  if (!('failure' in inflated)) return { ...hashes, decompressed: inflated };
  const failure = inflated.failure;
  const error =
    failure.kind === 'bomb'
      ? (decompressionProblem(failure.decompressed, failure.compressed, limits, what) ?? new LighterError('ARCHIVE_INVALID', `${what} expands too much`))
      : describeStreamError(Object.assign(new Error(failure.message), { code: failure.code }), what);
  return { ...hashes, decompressed: { error } };
}

/**
 * Two threads: members are hashed two at a time (FileMemberHashes), each on its own. At the lowest
 * priority: loading an archive, the engine receiving it needs both cores as much as the hashing
 * does, and hashing that falls behind catches up while the engine waits for the archive's end.
 * Loads of 604 MB took 0.2 s less so (plain 6.06 against 6.29 s, gzip layers 6.36 against 6.56 s,
 * medians of 6 rotated rounds); with nothing else running, the priority costs nothing.
 */
const threads = [new MemberHashThread(19), new MemberHashThread(19)];
/**
 * One more, at low priority, for members hashed behind their writer: nothing waits for those before
 * the stream ends, while whoever sends the stream (an engine saving an image) needs the CPU now. It
 * takes what is left and catches up at the end; it follows several members at once, reading each as
 * far as it landed. On two cores an engine's save ended 0.1–0.3 s sooner than at normal priority, and
 * one such thread rather than two made the save 0.1 s shorter and registry → archive 0.2 s (medians
 * of 8 rotated rounds): a thread's start costs ≈0.1 s of CPU, and one hashes 1.5 GB/s.
 */
const trailing = [new MemberHashThread(10)];

/**
 * Starts the helper threads a copy is about to use while it still waits on other things (an engine
 * preparing a save, a connection): booting one costs ≈0.1 s of CPU, better spent before the bytes
 * flow than while both cores are busy with them. `whole-file`: members of a complete file (an
 * archive read or loaded); `behind-writes`: members checked behind their writer (archives written).
 */
export function warmHelperThreads(kind: 'whole-file' | 'behind-writes', graceMs = 10_000): void {
  for (const thread of kind === 'whole-file' ? threads : trailing) thread.warm(graceMs);
}

/** How many helper threads are up (they end when idle). */
export function helperThreadsRunning(): number {
  return [...threads, ...trailing].filter((t) => t.running).length;
}

/** Hashes one member of the file at `member.path` on the least busy helper thread; `signal` stops it. */
export function hashMemberOffThread(member: MemberToHash, limits: DecompressionLimits, what: string, signal: AbortSignal): Promise<MemberHashes> {
  const thread = (member.growth ? trailing : threads).reduce((best, t) => (t.busy < best.busy ? t : best));
  return thread.hash(member, limits, what, signal);
}

import { createHash } from 'node:crypto';
import { verification } from '../image/digest';
import { resolveLimits } from './limits';
import { hashMemberOffThread, MemberGrowth } from './member-hash-thread';

/** What a file's bytes must hash to (its size is checked by whoever writes it). */
export interface ExpectedContent {
  digest: string;
  /** For messages: "blob", "layer …". */
  what: string;
}

/** Passes bytes on while hashing them; fails with DIGEST_MISMATCH, instead of ending, when they do not hash to `expected`. */
export async function* checkedAsItPasses(body: Buffer | Iterable<Buffer> | AsyncIterable<Buffer>, expected: ExpectedContent): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of Buffer.isBuffer(body) ? [body] : body) {
    hash.update(chunk);
    size += chunk.length;
    yield chunk;
  }
  const problem = verification({ digest: expected.digest, what: expected.what }, `sha256:${hash.digest('hex')}`, size);
  if (problem) throw problem;
}

/**
 * Checks a range of a file being written against a digest on a helper thread, which reads the range
 * back as its writes land (they may land in any order). The thread that receives the bytes then
 * does not hash them: on two cores, registry → archive spent a third of its main thread on it.
 */
export class WrittenRangeCheck {
  private readonly growth = new MemberGrowth();
  private readonly stopper = new AbortController();
  private readonly hashing: ReturnType<typeof hashMemberOffThread>;
  /** Settles once every write announced so far has landed, in the order announced. */
  private landedInOrder: Promise<void> = Promise.resolve();

  constructor(
    path: string,
    offset: number,
    private readonly size: number,
    private readonly expected: ExpectedContent,
  ) {
    this.hashing = hashMemberOffThread({ path, offset, size, gzip: false, growth: this.growth }, resolveLimits(), expected.what, this.stopper.signal);
    this.hashing.catch(() => undefined); // awaited by result(); a stopped check must not end the process
  }

  /**
   * For the write that fills the range up to `upTo` bytes from its start: the callback it calls once
   * in the file (or failed). The bytes count for the check once every earlier write landed too.
   */
  landing(upTo: number): (failure?: unknown) => void {
    let settle!: (failure?: unknown) => void;
    const landed = new Promise<void>((resolve, reject) => (settle = (failure) => (failure === undefined ? resolve() : reject(failure))));
    this.landedInOrder = Promise.all([this.landedInOrder, landed]).then(() => this.growth.grow(Math.min(upTo, this.size)));
    this.landedInOrder.catch(() => undefined);
    return settle;
  }

  /** Resolves once the whole range landed and hashed to the digest; else fails with why (DIGEST_MISMATCH, a write error). */
  async result(): Promise<void> {
    await this.landedInOrder;
    const hashed = await this.hashing;
    const problem = verification({ digest: this.expected.digest, size: this.size, what: this.expected.what }, hashed.digest, hashed.size);
    if (problem) throw problem;
  }

  /** Ends the thread's work on the range, if it is not done; safe to call at any time. */
  stop(): void {
    this.stopper.abort();
  }
}

import { LighterError } from '../errors';
import { verification } from '../image/digest';
import { defaultLimits } from './limits';
import { hashMemberOffThread, MemberGrowth, type MemberHashes } from './member-hash-thread';
import { shorten } from './tar-reader';

/**
 * Checks the digest of a body written into a file at a known place, by hashing it back from the
 * file on a helper thread as its writes land (out of order, several in flight). The main thread,
 * busy receiving, then pays nothing per byte for the hash; what is read back is still in the page
 * cache, and what is checked is what the file holds.
 */
export class LandedDigestCheck {
  private readonly growth = new MemberGrowth();
  private readonly stop = new AbortController();
  private readonly hashed: Promise<MemberHashes>;
  /** Writes handed out, in body order, until every one before them has landed too. */
  private readonly pending: { end: number; landed: boolean }[] = [];
  private failure?: { error: unknown };

  constructor(
    private readonly path: string,
    offset: number,
    private readonly size: number,
    private readonly digest: string,
    what: string,
  ) {
    this.hashed = hashMemberOffThread({ path, offset, size, gzip: false, growth: this.growth }, defaultLimits, shorten(what), this.stop.signal);
    this.hashed.catch(() => undefined); // reported by result()
  }

  /**
   * For a write that brings the body up to `end` (writes handed out in body order): the callback
   * to call when it landed, or failed.
   */
  landing(end: number): (error?: unknown) => void {
    const write = { end, landed: false };
    this.pending.push(write);
    return (error) => {
      if (error !== undefined) {
        this.failure ??= { error };
        this.stop.abort();
        return;
      }
      write.landed = true;
      while (this.pending[0]?.landed) this.growth.grow(this.pending.shift()!.end);
    };
  }

  /** Resolves once the whole body hashed to the digest; fails with DIGEST_MISMATCH, or the write's failure. */
  async result(): Promise<void> {
    const hashes = await this.hashed.catch((e) => {
      throw this.failure ? this.failure.error : e;
    });
    if (this.failure) throw this.failure.error;
    if (hashes.size !== this.size) throw new LighterError('INTERNAL', `${this.path} got shorter while it was written: read back ${hashes.size} of ${this.size} bytes`);
    const problem = verification({ digest: this.digest }, hashes.digest, hashes.size);
    if (problem) throw problem;
  }

  /** Stops the hashing (the body failed first); harmless once the result is in. */
  abort(): void {
    this.stop.abort();
  }
}

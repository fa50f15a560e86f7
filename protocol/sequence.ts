// Sequence numbers and replay (docs/protocol.md, sequence numbers). The sender's counter is
// persisted through a storage interface before a number is handed out, so a
// frame never leaves with a number a crash could hand out again; a retry
// reuses its number (re-sealed with a fresh time). The receiver keeps a
// window of recent numbers per peer and answers a duplicate with the reply
// it stored, so a retry is always safe. Nothing here is keyed on signature
// bytes (Ed25519 signatures from some libraries are malleable): only on seq.
//
// A number more than `seqForwardJumpMax` above the highest accepted is
// refused ('ahead') and never recorded: one frame cannot move the window to
// the end of the numbers. A sender whose numbers fell behind the window (its
// journal restored or lost) learns the next acceptable number from the
// hub's signed answer to its sign-in (README, wire protocol) and moves its
// counter forward to it (`skipTo`), durably, before using it.
import assert from 'node:assert';
import { replayStoredBytesMax, replayWindowMax, seqForwardJumpMax, seqMax } from './limits';

/** Where the sender's last used sequence number lives (a file, the journal). */
export interface SeqStore {
  /** The last number saved, or null when none ever was. */
  load(): Promise<number | null>;
  /** Durably records `seq` as used; resolves only once it is durable. */
  save(seq: number): Promise<void>;
}

export class SequenceCounter {
  #chain: Promise<unknown> = Promise.resolve();
  readonly #store: SeqStore;
  #last: number;

  private constructor(store: SeqStore, last: number) {
    this.#store = store;
    this.#last = last;
  }

  static async open(store: SeqStore): Promise<SequenceCounter> {
    const last = await store.load();
    if (last !== null && !(Number.isSafeInteger(last) && last >= 0 && last <= seqMax)) throw new RangeError(`stored seq must be a safe integer, got ${String(last)}`);
    return new SequenceCounter(store, last ?? 0);
  }

  /**
   * The next number, resolved only after the store saved it. Calls are
   * serialised. A failed save burns the number (it may be on disk) and throws.
   */
  next(): Promise<number> {
    const step = this.#chain.then(async () => {
      assert(this.#last < seqMax, 'sequence numbers exhausted');
      const seq = this.#last + 1;
      this.#last = seq;
      await this.#store.save(seq);
      return seq;
    });
    this.#chain = step.catch(() => undefined);
    return step;
  }

  /**
   * Moves the counter so that `next()` gives at least `seq`, saved before it
   * resolves; never backwards. Refuses (RangeError) a number that would leave
   * fewer than `seqForwardJumpMax` numbers: it comes from the peer.
   */
  skipTo(seq: number): Promise<void> {
    const step = this.#chain.then(async () => {
      if (!Number.isSafeInteger(seq) || seq < 1 || seq > seqMax - seqForwardJumpMax) throw new RangeError(`cannot continue from seq ${String(seq)}`);
      if (seq - 1 <= this.#last) return;
      this.#last = seq - 1;
      await this.#store.save(this.#last);
    });
    this.#chain = step.catch(() => undefined);
    return step;
  }
}

export type ReplayVerdict =
  | { readonly kind: 'new' }
  /** Seen before: `reply` is the stored reply, or null while in progress or after it was dropped for space. */
  | { readonly kind: 'duplicate'; readonly reply: Uint8Array | null }
  /** Older than the window: refuse (error `replay_stale`). */
  | { readonly kind: 'stale' }
  /** More than `forwardMax` above the highest accepted: refuse, record nothing. */
  | { readonly kind: 'ahead' };

/**
 * The receiver's replay window for one peer: remembers the last `windowMax`
 * sequence numbers it accepted and up to `storedBytesMax` of their replies.
 */
export class ReplayWindow {
  private highest = 0;
  private readonly seen = new Map<number, Uint8Array | null>();
  private storedBytes = 0;

  constructor(
    readonly windowMax: number = replayWindowMax,
    readonly storedBytesMax: number = replayStoredBytesMax,
    readonly forwardMax: number = seqForwardJumpMax,
  ) {
    assert(Number.isSafeInteger(forwardMax) && forwardMax >= windowMax && forwardMax <= seqForwardJumpMax, 'forward jump within the wire limit');
    assert(Number.isInteger(windowMax) && windowMax > 0 && windowMax <= replayWindowMax, 'window within the wire limit');
    assert(Number.isInteger(storedBytesMax) && storedBytesMax >= 0, 'stored bytes bound');
  }

  check(seq: number): ReplayVerdict {
    assert(Number.isSafeInteger(seq) && seq >= 0, 'seq is a checked message field');
    if (this.seen.has(seq)) return { kind: 'duplicate', reply: this.seen.get(seq) ?? null };
    if (seq <= this.highest - this.windowMax) return { kind: 'stale' };
    if (seq > this.highest + this.forwardMax) return { kind: 'ahead' };
    return { kind: 'new' };
  }

  /** The lowest number above every one accepted: where a sender out of the window continues. */
  get nextSeq(): number {
    return Math.min(this.highest + 1, seqMax);
  }

  /** Marks `seq` as accepted (its reply to come); check() said 'new'. */
  accept(seq: number): void {
    assert(this.check(seq).kind === 'new', 'only a new seq is accepted');
    this.seen.set(seq, null);
    if (seq > this.highest) this.highest = seq;
    // Forget numbers that left the window; the map is in acceptance order, which is mostly seq order.
    for (const [old, reply] of this.seen) {
      if (old > this.highest - this.windowMax && this.seen.size <= this.windowMax) break;
      this.seen.delete(old);
      if (reply !== null) this.storedBytes -= reply.length;
    }
    assert(this.seen.size <= this.windowMax, 'the window is bounded');
  }

  /** Stores the reply sent for an accepted `seq`, to answer its duplicates. */
  storeReply(seq: number, reply: Uint8Array): void {
    assert(this.seen.has(seq) && this.seen.get(seq) === null, 'a reply is stored once, for an accepted seq');
    if (reply.length > this.storedBytesMax) return;
    this.seen.set(seq, reply);
    this.storedBytes += reply.length;
    // Drop the oldest replies (their numbers stay known) until within the byte bound.
    for (const [old, stored] of this.seen) {
      if (this.storedBytes <= this.storedBytesMax) break;
      if (stored === null || old === seq) continue;
      this.seen.set(old, null);
      this.storedBytes -= stored.length;
    }
    assert(this.storedBytes <= this.storedBytesMax, 'stored replies are bounded');
  }

  /** Sequence numbers and reply bytes held (for tests and metrics). */
  get size(): { readonly seqs: number; readonly replyBytes: number } {
    return { seqs: this.seen.size, replyBytes: this.storedBytes };
  }
}

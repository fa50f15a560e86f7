// Page hashes: how the terminal proves, without reading its whole catalogue
// before it is ready, that every byte a settlement reads is the byte the hub
// signed. A body (a catalogue, a policy book, a delta) is cut into pages of
// `pageBytes`; the page table is the SHA-256 of each page, in order; the
// content digest that a signed statement names is
//   SHA-256( "settle-terminal pages v1" | pageBytes u32 LE | body length u32 LE | page table ).
// The stored file carries its page table, so at boot one signature check and
// one hash of the table (85 KB at 200,000 items) vouch for every page; each
// page is then read from the file and hashed when it is first touched
// (`PageGuard`, given a loader: the store's file is never read whole before
// ready, so opening costs the same at any size), and a page that does not
// match makes the read fail with `store_damaged`, never return a wrong
// value. Chosen by measurement (README, catalogue and policy book): at
// 200,000 items the whole-body SHA-256 before ready costs 7 ms (34 ms at
// 1,000,000, with the whole file in memory first), the table 0.05 ms and a
// first touch of a page 5 µs.
import { createHash } from 'node:crypto';
import { bytesEqual } from '../../protocol/crypto';

/** Bytes of a page: the operating system's page, so that a later store can read pages on demand. */
export const pageBytes = 4_096;
export const pageShift = 12;
/** Bytes of one page's hash in the table. */
export const pageHashBytes = 32;
const domain = new TextEncoder().encode('settle-terminal pages v1');

/** Pages of a body of `length` bytes (an empty body has none). */
export function pageCount(length: number): number {
  return Math.ceil(length / pageBytes);
}

function pageHash(body: Uint8Array, page: number): Buffer {
  return createHash('sha256')
    .update(body.subarray(page * pageBytes, Math.min(body.length, (page + 1) * pageBytes)))
    .digest();
}

/** The page table of a body: each page's SHA-256, in order. */
export function pageTable(body: Uint8Array): Uint8Array {
  const pages = pageCount(body.length);
  const table = new Uint8Array(pages * pageHashBytes);
  for (let page = 0; page < pages; page += 1) table.set(pageHash(body, page), page * pageHashBytes);
  return table;
}

/** The content digest of a body of `length` bytes with this page table (what a statement signs). */
export function tableDigest(table: Uint8Array, length: number): Uint8Array {
  const sizes = new Uint8Array(8);
  const view = new DataView(sizes.buffer);
  view.setUint32(0, pageBytes, true);
  view.setUint32(4, length, true);
  return new Uint8Array(createHash('sha256').update(domain).update(sizes).update(table).digest());
}

/** A body's page table and content digest. */
export function contentDigest(body: Uint8Array): { readonly table: Uint8Array; readonly digest: Uint8Array } {
  const table = pageTable(body);
  return { table, digest: tableDigest(table, body.length) };
}

/** A read of bytes that do not match the signed page table: the store cannot serve them. */
export class StoreDamagedError extends Error {
  override readonly name = 'StoreDamagedError';
  readonly code = 'store_damaged';
}

const unchecked = 0;
const good = 1;
const bad = 2;

/**
 * The pages of one body against its (already verified) page table: each page
 * is hashed the first time anything in it is read. A hot reader (the
 * catalogue's lookups) calls `need`, small enough for V8 to inline: two
 * array reads once the pages are checked. `state` is public: 1 is verified;
 * anything else goes through `verify`.
 */
export class PageGuard {
  readonly state: Uint8Array;
  readonly #body: Uint8Array;
  readonly #table: Uint8Array;
  readonly #label: string;
  readonly #onDamage: (why: string) => void;
  readonly #load: ((page: number) => boolean) | undefined;
  readonly #onWhole: (() => void) | undefined;
  /** Pages not checked yet. */
  #left: number;

  /**
   * `table` must already be proven (its digest is the one the statement
   * signs). `verified` marks every page checked: the body was hashed page by
   * page to make the table, so there is nothing left to check. `load` fills
   * a page of `body` from its file before its first check (false: it could
   * not be read whole, which is damage); `onWhole` is called once every
   * page is checked (the file is no longer needed).
   */
  constructor(
    body: Uint8Array,
    table: Uint8Array,
    options: { readonly label: string; readonly onDamage?: (why: string) => void; readonly verified?: boolean; readonly load?: (page: number) => boolean; readonly onWhole?: () => void },
  ) {
    if (table.length !== pageCount(body.length) * pageHashBytes) throw new StoreDamagedError(`store_damaged: ${options.label}: the page table does not fit the body`);
    this.#body = body;
    this.#table = table;
    this.#label = options.label;
    this.#onDamage = options.onDamage ?? (() => {});
    this.#load = options.load;
    this.#onWhole = options.onWhole;
    this.state = new Uint8Array(pageCount(body.length)).fill(options.verified === true ? good : unchecked);
    this.#left = options.verified === true ? 0 : this.state.length;
    if (this.#left === 0) this.#onWhole?.();
  }

  get pages(): number {
    return this.state.length;
  }

  /** The body and its page table, as given (what a stored file holds after its statement). */
  get body(): Uint8Array {
    return this.#body;
  }

  get table(): Uint8Array {
    return this.#table;
  }

  /** Makes sure the bytes [start, end) of the body match the table; throws StoreDamagedError when they do not. */
  need(start: number, end: number): void {
    if (end <= start) return;
    const first = start >>> pageShift;
    const last = (end - 1) >>> pageShift;
    if (last - first > 1 || this.state[first] !== good || this.state[last] !== good) this.verify(first, last);
  }

  /** Checks pages first to last (inclusive). */
  verify(first: number, last: number): void {
    if (first < 0 || last >= this.state.length) throw new StoreDamagedError(`store_damaged: ${this.#label}: a read outside the body (page ${last} of ${this.state.length})`);
    for (let page = first; page <= last; page += 1) {
      if (this.state[page] === good) continue;
      if (this.state[page] === unchecked && (this.#load?.(page) ?? true) && bytesEqual(pageHash(this.#body, page), this.#table.subarray(page * pageHashBytes, (page + 1) * pageHashBytes))) {
        this.state[page] = good;
        if ((this.#left -= 1) === 0) this.#onWhole?.();
        continue;
      }
      const why = `${this.#label}: page ${page} (bytes ${page * pageBytes} to ${Math.min(this.#body.length, (page + 1) * pageBytes)}) is not the one the hub signed`;
      const first = this.state[page] === unchecked;
      this.state[page] = bad;
      if (first) this.#onDamage(why);
      throw new StoreDamagedError(`store_damaged: ${why}`);
    }
  }

  /** Checks every page not checked yet; false (after telling the owner) when one is damaged. */
  verifyAll(): boolean {
    try {
      if (this.state.length > 0) this.verify(0, this.state.length - 1);
      return true;
    } catch (error) {
      if (error instanceof StoreDamagedError) return false;
      throw error;
    }
  }
}

// The catalogues and policy books the hub publishes. Each version is a signed
// snapshot container (src/catalogue/update.ts) in the state directory, written
// durably before the `published` event names it, and kept for good: the hub
// recomputes a settlement with whatever version the terminal declares. A
// terminal that holds an earlier version of the same line gets a signed delta
// (computed when first asked for, then cached); any other gets the snapshot.
import assert from 'node:assert';
import path from 'node:path';
import type { Signer, Verifier } from '../../../protocol/crypto';
import { bytesEqual } from '../../../protocol/crypto';
import { buildCatalogue } from '../../../src/catalogue/build';
import { diffCatalogues, encodeDelta } from '../../../src/catalogue/delta';
import { Catalogue, type CatalogueRecord } from '../../../src/catalogue/layout';
import { buildPolicyBook, diffPolicyBooks, encodePolicyDelta, PolicyBook, type PolicyEntry } from '../../../src/catalogue/policy-book';
import { contentDigest } from '../../../src/catalogue/pages';
import { checkUpdateBody, signUpdate, verifyContainer, type BlobKind } from '../../../src/catalogue/update';
import { createHash } from 'node:crypto';
import type { JournalStorage } from '../../../src/journal/storage';
import type { EventOf } from './events';
import { cachedDeltasMax, openVersionsMax } from './limits';
import type { HubState, PublishedVersion } from './state';

/** An update blob a manifest describes: the signed container bytes. */
export interface Blob {
  readonly kind: BlobKind;
  readonly version: string;
  /** The version the delta applies to; null for a snapshot. */
  readonly base: string | null;
  readonly bytes: Uint8Array;
  readonly digest: Uint8Array;
}

function sha256Of(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

export class Versions {
  private readonly opened = new Map<string, Catalogue | PolicyBook>();
  private readonly deltas = new Map<string, Blob>();

  constructor(
    private readonly state: HubState,
    private readonly storage: JournalStorage,
    private readonly dir: string,
    private readonly signer: Signer,
    private readonly verifier: Verifier,
  ) {}

  /** The current version of a line, or undefined before any was published. */
  current(kind: BlobKind, line: string): PublishedVersion | undefined {
    return this.state.versions.get(`${kind}:${line}`)?.at(-1);
  }

  find(kind: BlobKind, line: string, version: string): PublishedVersion | undefined {
    return this.state.versions.get(`${kind}:${line}`)?.find((candidate) => candidate.version === version);
  }

  /** A published catalogue of a line, opened (kept open for the most recent versions asked for). */
  catalogue(line: string, version: string): Catalogue | undefined {
    const published = this.find('catalogue', line, version);
    return published === undefined ? undefined : (this.open(published) as Catalogue);
  }

  policyBook(version: string): PolicyBook | undefined {
    const published = this.find('policy_book', '', version);
    return published === undefined ? undefined : (this.open(published) as PolicyBook);
  }

  private open(published: PublishedVersion): Catalogue | PolicyBook {
    const cached = this.opened.get(published.file);
    if (cached !== undefined) {
      // Most recently used last.
      this.opened.delete(published.file);
      this.opened.set(published.file, cached);
      return cached;
    }
    const bytes = this.snapshot(published);
    const verified = verifyContainer(bytes, published.kind, () => this.verifier);
    checkUpdateBody(verified);
    const body = verified.body;
    const value = published.kind === 'catalogue' ? new Catalogue(body) : new PolicyBook(body);
    if (this.opened.size >= openVersionsMax) this.opened.delete(this.opened.keys().next().value as string);
    this.opened.set(published.file, value);
    return value;
  }

  private snapshot(published: PublishedVersion): Uint8Array {
    const bytes = this.storage.read(path.join(this.dir, published.file));
    assert(bytes !== null && bytesEqual(sha256Of(bytes), published.digest), `the snapshot ${published.file} is the one published`);
    return bytes;
  }

  /** What a terminal holding `have` fetches to reach the current version of a line (null: nothing published). */
  blobFor(kind: BlobKind, line: string, have: string | null): Blob | null {
    const current = this.current(kind, line);
    if (current === undefined) return null;
    if (have === current.version) return { kind, version: current.version, base: have, bytes: new Uint8Array(0), digest: sha256Of(new Uint8Array(0)) };
    const base = have === null ? undefined : this.find(kind, line, have);
    if (base === undefined) {
      const bytes = this.snapshot(current);
      return { kind, version: current.version, base: null, bytes, digest: current.digest };
    }
    const key = `${current.file}<${base.file}`;
    let delta = this.deltas.get(key);
    if (delta === undefined) {
      delta = this.makeDelta(base, current);
      if (this.deltas.size >= cachedDeltasMax) this.deltas.delete(this.deltas.keys().next().value as string);
      this.deltas.set(key, delta);
    }
    return delta;
  }

  private makeDelta(base: PublishedVersion, current: PublishedVersion): Blob {
    const from = this.open(base);
    const to = this.open(current);
    const body = from instanceof Catalogue ? encodeDelta(diffCatalogues(from, to as Catalogue)) : encodePolicyDelta(diffPolicyBooks(from, to as PolicyBook));
    const result = to instanceof Catalogue ? to.bytes : verifyContainer(this.snapshot(current), 'policy_book', () => this.verifier).body;
    const bytes = signUpdate(this.signer, { kind: current.kind, mode: 'delta', serial: current.serial, line: current.line, fromVersion: base.version, toVersion: current.version, resultDigest: contentDigest(result).digest }, body);
    return { kind: current.kind, version: current.version, base: base.version, bytes, digest: sha256Of(bytes) };
  }

  /** Builds, signs and durably writes a new version; returns the event that publishes it. */
  publish(kind: BlobKind, line: string, version: string, content: Iterable<CatalogueRecord> | Iterable<PolicyEntry>): EventOf<'published'> {
    assert(this.find(kind, line, version) === undefined, `version ${version} of ${kind} ${line} is new`);
    const body = kind === 'catalogue' ? buildCatalogue(version, content as Iterable<CatalogueRecord>) : buildPolicyBook(version, content as Iterable<PolicyEntry>);
    const serial = (this.current(kind, line)?.serial ?? 0) + 1;
    const bytes = signUpdate(this.signer, { kind, mode: 'snapshot', serial, line, fromVersion: null, toVersion: version, resultDigest: contentDigest(body).digest }, body);
    const digest = sha256Of(bytes);
    const file = `${kind}-${line === '' ? 'all' : line}-${serial}.snapshot`;
    const full = path.join(this.dir, file);
    this.storage.write(`${full}.tmp`, bytes);
    this.storage.sync(`${full}.tmp`);
    this.storage.rename(`${full}.tmp`, full);
    this.storage.syncDir(full);
    return { kind: 'published', blob: kind, line, version, serial, file, digest };
  }
}

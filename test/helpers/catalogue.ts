// Catalogue and policy-book fixtures: the worked cases' catalogues and
// policies as store records, hub keys, and signed snapshots and deltas.
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { keyring, type Signer, type Verifier } from '../../protocol/crypto';
import { buildCatalogue } from '../../src/catalogue/build';
import { encodeDelta, type CatalogueDelta } from '../../src/catalogue/delta';
import { Catalogue, catalogueRecords, type CatalogueRecord } from '../../src/catalogue/layout';
import { buildPolicyBook, encodePolicyDelta, type PolicyDelta, type PolicyEntry } from '../../src/catalogue/policy-book';
import { contentDigest } from '../../src/catalogue/pages';
import { containerPrefixBytes, containerShape, signUpdate } from '../../src/catalogue/update';
import type { Item } from '../../src/core/types';
import { workedCases } from './cases';

/** A hub key from a one-byte seed pattern. */
export function hubKey(seedByte: number): { signer: Signer; verifier: Verifier } {
  const signer = nodeCryptoProvider.signer(new Uint8Array(32).fill(seedByte));
  return { signer, verifier: nodeCryptoProvider.verifier(signer.publicKey) };
}

export const hub = hubKey(7);
export const forger = hubKey(66);
export const hubKeys = keyring([hub.verifier]);

/** Every item of the worked cases' catalogues (they agree where codes repeat), with receipt fields. */
export function caseRecords(): CatalogueRecord[] {
  const byCode = new Map<string, CatalogueRecord>();
  for (const worked of workedCases()) {
    const items = (worked.case.catalogue as { items: Record<string, Item> }).items;
    for (const [code, item] of Object.entries(items)) {
      byCode.set(code, { code, ...item, name: `项目${code.slice(-4)}`, unit: item.kind === 'service' ? '次' : '片', list_price: 100 + code.length });
    }
  }
  return [...byCode.values()];
}

/** The worked cases' policies, one per insured area. */
export function casePolicies(): PolicyEntry[] {
  const byArea = new Map<string, PolicyEntry>();
  for (const worked of workedCases()) {
    const policy = worked.case.policy as { admdvs: string };
    byArea.set(policy.admdvs, { area: policy.admdvs, text: JSON.stringify(policy) });
  }
  return [...byArea.values()];
}

/** The catalogue line of the fixtures' stores (Beijing's province). */
export const testLine = '11';

/** The content digest a statement names (pages.ts). */
export function digestOf(body: Uint8Array): Uint8Array {
  return contentDigest(body).digest;
}

export function catalogueSnapshot(version: string, serial: number, records: Iterable<CatalogueRecord>, signer: Signer = hub.signer, line = testLine): Uint8Array {
  const body = buildCatalogue(version, records);
  return signUpdate(signer, { kind: 'catalogue', mode: 'snapshot', serial, line, fromVersion: null, toVersion: version, resultDigest: digestOf(body) }, body);
}

/** A signed delta from `from` to the catalogue the delta makes (its result digest computed honestly unless given). */
export function catalogueDelta(from: Catalogue, toVersion: string, serial: number, delta: CatalogueDelta, options: { signer?: Signer; resultDigest?: Uint8Array; line?: string } = {}): Uint8Array {
  const line = options.line ?? testLine;
  if (options.resultDigest !== undefined) {
    return signUpdate(options.signer ?? hub.signer, { kind: 'catalogue', mode: 'delta', serial, line, fromVersion: from.version, toVersion, resultDigest: options.resultDigest }, encodeDelta(delta));
  }
  const records = new Map<string, CatalogueRecord>();
  for (const record of catalogueRecords(from)) records.set(record.code, record);
  for (const code of delta.removed) records.delete(code);
  for (const record of [...delta.changed, ...delta.added]) records.set(record.code, record);
  const result = buildCatalogue(toVersion, records.values());
  return signUpdate(options.signer ?? hub.signer, { kind: 'catalogue', mode: 'delta', serial, line, fromVersion: from.version, toVersion, resultDigest: digestOf(result) }, encodeDelta(delta));
}

export function policySnapshot(version: string, serial: number, entries: Iterable<PolicyEntry>, signer: Signer = hub.signer): Uint8Array {
  return signedPolicyBody(version, serial, buildPolicyBook(version, entries), signer);
}

/** Signs a policy-book body as it is (a test may have damaged it first). */
export function signedPolicyBody(version: string, serial: number, body: Uint8Array, signer: Signer = hub.signer): Uint8Array {
  return signUpdate(signer, { kind: 'policy_book', mode: 'snapshot', serial, line: '', fromVersion: null, toVersion: version, resultDigest: digestOf(body) }, body);
}

export function policyDelta(fromVersion: string, result: Uint8Array, toVersion: string, serial: number, delta: PolicyDelta): Uint8Array {
  return signUpdate(hub.signer, { kind: 'policy_book', mode: 'delta', serial, line: '', fromVersion, toVersion, resultDigest: digestOf(result) }, encodePolicyDelta(delta));
}

/** Where the parts of a stored file lie: [start, end) in the file, by name (the container's and the body's own sections). */
export function storedParts(file: Uint8Array): Record<string, readonly [number, number]> {
  const shape = containerShape(file);
  const body = file.subarray(shape.bodyAt);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const at = (start: number, end: number) => [shape.bodyAt + start, shape.bodyAt + end] as const;
  const parts: Record<string, readonly [number, number]> = {
    statement: [containerPrefixBytes, containerPrefixBytes + shape.statementLength],
    'page table': [shape.tableAt, shape.bodyAt],
  };
  if (String.fromCharCode(...body.subarray(0, 4)) === 'SCAT') {
    const names = ['meta', 'hash table', 'records', 'name index', 'name offsets', 'name blob'];
    parts.header = at(0, 16 + names.length * 8);
    names.forEach((name, index) => {
      const offset = view.getUint32(16 + index * 8, true);
      parts[name] = at(offset, offset + view.getUint32(16 + index * 8 + 4, true));
    });
  } else {
    const count = view.getUint32(8, true);
    const areasAt = (16 + view.getUint32(12, true) + 3) & ~3;
    const offsetsAt = (areasAt + count * 6 + 3) & ~3;
    const textsAt = offsetsAt + (count + 1) * 4;
    parts.header = at(0, areasAt);
    parts.areas = at(areasAt, areasAt + count * 6);
    parts['text offsets'] = at(offsetsAt, textsAt);
    parts['policy texts'] = at(textsAt, body.length);
  }
  return parts;
}

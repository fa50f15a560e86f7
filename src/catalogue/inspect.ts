// Reading any catalogue file a field engineer may hold: a plain compact
// catalogue ("SCAT"), or a signed container ("SUPD": an update from the hub,
// or the terminal's stored file), with its statement and, given the hub's
// keys, its verdicts.
import { bytesToHex, type Verifier } from '../../protocol/crypto';
import { decodeStrict } from '../../protocol/cbor-decode';
import { parseSign1, wireHeaders } from '../../protocol/cose';
import { Catalogue, catalogueMagic } from './layout';
import { checkUpdateBody, guardStored, parseStatement, readContainer, UpdateError, verifyContainer, type Statement } from './update';

export interface OpenedFile {
  /** The catalogue the file holds, or null for a delta. */
  readonly catalogue: Catalogue | null;
  readonly signed: null | {
    readonly kid: string;
    readonly mode: string;
    readonly serial: number;
    readonly line: string;
    readonly fromVersion: string | null;
    readonly toVersion: string;
    /**
     * `verified`: signed by one of the hub's keys given, and every byte is
     * the one it signed. `intact`: no key given, but every byte matches the
     * digest its statement names (damage is found without the key; a
     * forgery is not). Otherwise the code of what failed.
     */
    readonly verdict: 'intact' | 'verified' | UpdateError['code'];
  };
}

function magicOf(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes.subarray(0, 4));
}

/** Opens a catalogue file of either form; throws the typed errors of the layout and the container. */
export function openCatalogueFile(bytes: Uint8Array, hubKeys?: (kid: Uint8Array | null) => Verifier | null): OpenedFile {
  if (magicOf(bytes) === catalogueMagic) return { catalogue: new Catalogue(bytes), signed: null };
  const { statementBytes, body } = readContainer(bytes);
  const sign1 = parseSign1(statementBytes, { profile: wireHeaders, requireTag: true });
  if (!sign1.ok) throw new UpdateError('update_malformed', sign1.error.detail);
  const decoded = decodeStrict(sign1.sign1.payload, { depthMax: 2, stringBytesMax: 64, itemsMax: 8 });
  const value = decoded.ok && Array.isArray(decoded.value) ? decoded.value : [];
  let verdict: NonNullable<OpenedFile['signed']>['verdict'];
  let statement: Statement | null = null;
  // An update in transit carries no page table and is checked against its
  // body digest; the terminal's stored file carries one, checked against the
  // result digest, with every page.
  const holdsCatalogue = magicOf(body) === catalogueMagic;
  try {
    // Without the hub's keys the statement is read unverified: enough to
    // find damage (every page against the digest it names), not a forgery.
    const checked = hubKeys === undefined ? { ...readContainer(bytes), statement: parseStatement(sign1.sign1.payload) } : verifyContainer(bytes, 'catalogue', hubKeys);
    if (checked.table.length === 0) checkUpdateBody(checked);
    else if (!guardStored(checked, { label: 'file' }).verifyAll()) throw new UpdateError('update_corrupt', 'a page is not the one the hub signed');
    statement = checked.statement;
    verdict = hubKeys === undefined ? 'intact' : 'verified';
  } catch (error) {
    if (!(error instanceof UpdateError)) throw error;
    verdict = error.code;
  }
  const mode = value[1] === 1 ? 'delta' : 'snapshot';
  return {
    // A catalogue is served only from bytes that match their statement.
    catalogue: holdsCatalogue && (verdict === 'intact' || verdict === 'verified') ? new Catalogue(body.slice()) : null,
    signed: {
      kid: sign1.sign1.kid === null ? '' : bytesToHex(sign1.sign1.kid),
      mode,
      serial: typeof value[2] === 'number' ? value[2] : (statement?.serial ?? 0),
      line: typeof value[3] === 'string' ? value[3] : '',
      fromVersion: typeof value[4] === 'string' ? value[4] : null,
      toVersion: typeof value[5] === 'string' ? value[5] : '',
      verdict,
    },
  };
}

/** Counts of a catalogue by kind, class and restriction, for `catalogue inspect`. */
export function catalogueSummary(catalogue: Catalogue): Record<string, number> {
  const counts: Record<string, number> = { items: catalogue.count };
  const add = (key: string) => (counts[key] = (counts[key] ?? 0) + 1);
  for (let index = 0; index < catalogue.count; index += 1) {
    const item = catalogue.itemAt(index);
    add(`kind:${item.kind}`);
    add(`lv:${item.lv}`);
    if (item.cap !== null) add('with_price_ceiling');
    if (item.gend !== null) add('restricted:gender');
    if (item.age_min !== null || item.age_max !== null) add('restricted:age');
    if (item.chronic_only !== null) add('restricted:chronic');
  }
  return counts;
}

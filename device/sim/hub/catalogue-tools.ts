// The hub's side of catalogues, for `settle-sim catalogue generate` and
// `catalogue delta` (simulation bundle): a synthetic catalogue, plain or as a
// signed snapshot, and a signed delta between two catalogues.
import { nodeCryptoProvider } from '../../../protocol/crypto-node';
import { buildCatalogue } from '../../../src/catalogue/build';
import { diffCatalogues, encodeDelta } from '../../../src/catalogue/delta';
import { catalogueRecords, type Catalogue } from '../../../src/catalogue/layout';
import { contentDigest } from '../../../src/catalogue/pages';
import { signUpdate } from '../../../src/catalogue/update';
import { generateCatalogueRecords } from './catalogue-gen';

export interface GenerateCatalogueOptions {
  readonly items: number;
  readonly seed: number;
  readonly version: string;
  /** Sign as a snapshot of a catalogue line with this hub seed (32 bytes) and serial; a plain catalogue when absent. */
  readonly sign?: { readonly seed: Uint8Array; readonly serial: number; readonly line: string };
}

export function generateCatalogueFile(options: GenerateCatalogueOptions): Uint8Array {
  const body = buildCatalogue(options.version, generateCatalogueRecords(options.items, options.seed));
  if (options.sign === undefined) return body;
  const signer = nodeCryptoProvider.signer(options.sign.seed);
  return signUpdate(signer, { kind: 'catalogue', mode: 'snapshot', serial: options.sign.serial, line: options.sign.line, fromVersion: null, toVersion: options.version, resultDigest: contentDigest(body).digest }, body);
}

/** A signed delta taking `from` to `to`. */
export function catalogueDeltaFile(from: Catalogue, to: Catalogue, sign: { readonly seed: Uint8Array; readonly serial: number; readonly line: string }): Uint8Array {
  const result = buildCatalogue(to.version, catalogueRecords(to));
  const signer = nodeCryptoProvider.signer(sign.seed);
  return signUpdate(signer, { kind: 'catalogue', mode: 'delta', serial: sign.serial, line: sign.line, fromVersion: from.version, toVersion: to.version, resultDigest: contentDigest(result).digest }, encodeDelta(diffCatalogues(from, to)));
}

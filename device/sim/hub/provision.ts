// The reference hub's factory provisioning for the emulated site
// (device/sim/site.ts): fills a new
// terminal's empty catalogue and policy book with the hub's current versions,
// through the store's own update path, verified and applied as a sync would
// be (a catalogue of thousands of items takes seconds over a 115,200-baud
// line). Kept apart from the site so that `run --profile emulated|hil`, which
// never provisions (its terminal syncs over its own line), does not load the
// store's update code twice before it is ready: the demo, the tests and the
// benchmarks pass `fillStores` as a terminal's `provision`.
import { nodeCryptoProvider } from '../../../protocol/crypto-node';
import { catalogueKind, catalogueLine, policyBookKind, policyBookLine, SignedStore } from '../../../src/catalogue/store';
import type { ReferenceHub } from './hub';
import { catalogueLineOf } from './seed';
import type { SiteTerminalSpec } from '../site';

/** Fills what is empty of `spec`'s stores from the hub (opened only when something is empty). */
export function fillStores(spec: SiteTerminalSpec, hubKey: Uint8Array, hub: () => ReferenceHub): void {
  const verifier = nodeCryptoProvider.verifier(hubKey);
  const hubKeys = (kid: Uint8Array | null) => (kid !== null && Buffer.from(kid).equals(Buffer.from(verifier.kid)) ? verifier : null);
  const stores = [
    SignedStore.open(catalogueKind, { dir: spec.dir, hubKeys, line: catalogueLine(spec.fixmedinsCode) }),
    SignedStore.open(policyBookKind, { dir: spec.dir, hubKeys, line: policyBookLine }),
  ];
  if (stores.every((store) => store.version !== null)) return;
  const held = hub();
  const institution = held.state.institutions.get(spec.fixmedinsCode);
  if (institution === undefined) throw new Error(`the reference hub knows no institution ${spec.fixmedinsCode}`);
  const lines = [catalogueLineOf(institution), ''];
  stores.forEach((store, index) => {
    if (store.version !== null) return;
    const blob = held.versions.blobFor(index === 0 ? 'catalogue' : 'policy_book', lines[index] as string, null);
    if (blob === null) throw new Error('the reference hub has published nothing for this terminal');
    const applied = store.apply(blob.bytes);
    if (!applied.ok) throw new Error(`provisioning: ${applied.error.message}`);
  });
}

// The firmware's on-demand part, `dist/terminal-maintenance.js` (build.mjs):
// what a terminal does while no patient waits and only now and then:
// applying a signed catalogue or policy-book update (verify, apply the delta,
// rebuild, check every entry, replace durably) and end-of-day reconciliation
// with journal rotation. terminal.js carries stubs that load this file the
// first time either is needed, as it loads the tweetnacl provider only when
// node:crypto fails. Everything crossing between the two bundles is plain
// data or objects only called through their methods: no class identity, no
// exceptions.
import { applyUpdate } from './catalogue/apply';
import { reconcileWith } from './hub/reconcile';

/** What the firmware's stubs call. */
export const maintenance = { applyUpdate, reconcileWith };

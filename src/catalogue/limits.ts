// The catalogue's and the policy book's limits (docs/conventions.md habit 3): what a
// stored file, an item and a policy may hold. test/unit/limits.test.ts checks
// how they relate to the rest.
/** Items a catalogue may hold. */
export const catalogueItemsMax = 1_000_000;
/** A catalogue item code: printable ASCII, bytes (national codes are 15 to 23). */
export const itemCodeBytesMax = 64;
/** An item's name on the receipt, UTF-8 bytes. */
export const itemNameBytesMax = 256;
/** A unit of quantity, UTF-8 bytes. */
export const itemUnitBytesMax = 32;
/** Distinct units a catalogue may use. */
export const catalogueUnitsMax = 255;
/** An item's list price per unit, fen (fits the catalogue's 32-bit column). */
export const itemListPriceFenMax = 4_000_000_000;
/** A catalogue file, bytes (a 200,000-item catalogue is about 10 MiB). */
export const catalogueFileBytesMax = 256 * 1_048_576;
/** Insured-place policies a policy book may hold. */
export const policyBookAreasMax = 4_096;
/** One policy's JSON text in the policy book, UTF-8 bytes. */
export const policyTextBytesMax = 65_536;

// The kiosk's startup snapshot (dist/boot-snapshot.js, src/boot-snapshot-main.ts;
// made and used by dist/boot.sh, which the kiosk unit runs): a V8 startup
// snapshot of Node.js with the built-in modules a boot needs already loaded
// (node:crypto, streams, net, fs/promises, …), so a boot deserializes them
// instead of compiling and evaluating them again. It holds nothing of the
// firmware, of node_modules or of this device's state: its main function
// checks the snapshot and then runs the script named on the command line
// (dist/boot.js) from disk, as `node SCRIPT ARGS` would, so a firmware or
// boot.js update needs no new snapshot.
//
// Only the built-in modules Node.js 20 verifies in user-land snapshots are
// loaded (others, tty, readline, child_process, perf_hooks, vm, module, print
// a warning when snapshotted and may keep state from the build; they load
// at run time as without a snapshot).
//
// What keeps a snapshot from being wrong or stale:
// - Node.js refuses a blob made by another Node.js version, architecture,
//   platform or V8 configuration (other V8 flags) with exit 14 before
//   anything runs; boot.sh then removes it and boots without it.
// - A blob's CRC-32 is kept beside it (`BLOB.crc32`, written after the
//   build), with the CRC-32 of the boot-snapshot.js it was made from. Before
//   running anything the main function reads both files again and exits 14
//   when the blob is not the one sealed (a flipped byte, a cut, a blob
//   without its seal) or boot-snapshot.js on disk is not the one it was made
//   from (an update): boot.sh removes it and boots without it.
// - A blob that makes Node.js die on a signal (a damaged blob can crash V8's
//   deserializer before anything runs) is removed by boot.sh, which exits
//   with that status: the unit's restart boots without it.
import { readFileSync, writeFileSync } from 'node:fs';
import zlib from 'node:zlib';

/**
 * The built-in modules loaded into the snapshot: those a kiosk's boot
 * loads (the firmware, boot.js, the serial binding) that Node.js 20 verifies
 * in user-land snapshots.
 */
export const snapshotBuiltins = ['node:crypto', 'node:events', 'node:fs', 'node:fs/promises', 'node:os', 'node:path', 'node:util', 'node:stream', 'node:stream/promises', 'node:string_decoder', 'node:assert', 'node:net', 'node:buffer', 'node:zlib'] as const;

/** The seal file of a blob: beside it, `.crc32` added. */
export function sealPath(blob: string): string {
  return `${blob}.crc32`;
}

/** CRC-32 of bytes as 8 hex digits (zlib's, which Node.js 20.15 and later expose; null before). */
export function crc32Hex(bytes: Uint8Array): string | null {
  const crc32 = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;
  return typeof crc32 === 'function' ? crc32(bytes).toString(16).padStart(8, '0') : null;
}

/** The seal's text: the blob's CRC-32 and the CRC-32 of the builder it was made from. */
export function sealText(blob: Uint8Array, builder: Uint8Array): string {
  const blobCrc = crc32Hex(blob);
  const builderCrc = crc32Hex(builder);
  if (blobCrc === null || builderCrc === null) throw new Error('this Node.js has no zlib.crc32 (Node.js 20.15 or later): no snapshot can be sealed');
  return `settle-terminal boot snapshot 1 ${blobCrc} ${builderCrc}\n`;
}

/** Writes the seal of the blob at `blob`, made from the builder `builder` (a file). */
export function seal(blob: string, builder: string): void {
  writeFileSync(sealPath(blob), sealText(readFileSync(blob), readFileSync(builder)), { mode: 0o600 });
}

/**
 * Why the blob at `blob` may not be used, or null when it is the sealed one and
 * `builder` is the file it was made from (its CRC-32 `builderCrc`, taken when
 * the snapshot was built).
 */
export function sealFault(blob: string, builder: string, builderCrc: string): string | null {
  let text: string;
  let bytes: Buffer;
  try {
    text = readFileSync(sealPath(blob), 'utf8');
    bytes = readFileSync(blob);
  } catch (error) {
    return `unreadable: ${(error as Error).message}`;
  }
  const blobCrc = crc32Hex(bytes);
  if (blobCrc === null) return 'this Node.js has no zlib.crc32 to check it with';
  const fields = /^settle-terminal boot snapshot 1 ([0-9a-f]{8}) ([0-9a-f]{8})\n$/.exec(text);
  if (fields === null) return `its seal ${sealPath(blob)} is not a seal`;
  if (fields[1] !== blobCrc) return `its CRC-32 is ${blobCrc}, its seal says ${fields[1]}`;
  if (fields[2] !== builderCrc) return 'its seal is for another boot-snapshot.js';
  let current: string | null;
  try {
    current = crc32Hex(readFileSync(builder));
  } catch (error) {
    return `unreadable: ${(error as Error).message}`;
  }
  if (current !== builderCrc) return `it was made from another ${builder} (an update since)`;
  return null;
}

/** The value of `--snapshot-blob` among node's own flags, or null. */
export function snapshotBlobOf(execArgv: readonly string[]): string | null {
  for (const [index, word] of execArgv.entries()) {
    if (word === '--snapshot-blob') return execArgv[index + 1] ?? null;
    if (word.startsWith('--snapshot-blob=')) return word.slice('--snapshot-blob='.length);
  }
  return null;
}

// dist/boot-snapshot.js (src/boot-snapshot.ts says what the snapshot holds and how it is checked). Three uses:
//   node FLAGS --snapshot-blob BLOB --build-snapshot boot-snapshot.js   builds the snapshot (dist/boot.sh does, in the background)
//   node boot-snapshot.js seal BLOB                                     writes BLOB.crc32 (dist/boot.sh, after the build)
//   node FLAGS --snapshot-blob BLOB SCRIPT ARGS                         checks BLOB, then runs SCRIPT as `node SCRIPT ARGS` would
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startupSnapshot } from 'node:v8';
import { crc32Hex, seal, sealFault, snapshotBlobOf, snapshotBuiltins } from './boot-snapshot';

if (startupSnapshot.isBuildingSnapshot()) {
  for (const name of snapshotBuiltins) require(name);
  const builder = __filename;
  const builderCrc = crc32Hex(readFileSync(builder));
  if (builderCrc === null) throw new Error('this Node.js has no zlib.crc32 (Node.js 20.15 or later): a snapshot could not be checked');
  startupSnapshot.setDeserializeMainFunction(() => {
    const blob = snapshotBlobOf(process.execArgv);
    const fault = blob === null ? 'not named by --snapshot-blob' : sealFault(blob, builder, builderCrc);
    if (fault !== null) {
      // Exit 14, as Node.js itself refuses a snapshot: nothing has run; boot.sh removes the blob and boots without it.
      process.stderr.write(`boot snapshot ${blob ?? ''}: ${fault}: not used\n`);
      process.exit(14);
    }
    const script = process.argv[1];
    if (script === undefined) {
      process.stderr.write('usage: node --snapshot-blob BLOB SCRIPT [ARGS]\n');
      process.exit(2);
    }
    process.argv[1] = path.resolve(script);
    // node:module is required here, at run time: Node.js 20 does not verify it in a snapshot.
    (require('node:module') as { runMain(): void }).runMain();
  });
} else if (process.argv[2] === 'seal' && process.argv[3] !== undefined) {
  seal(process.argv[3], __filename);
} else {
  process.stderr.write('usage: node boot-snapshot.js seal BLOB (or: node --snapshot-blob BLOB --build-snapshot boot-snapshot.js)\n');
  process.exitCode = 2;
}

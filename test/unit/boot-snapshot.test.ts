// Proves the kiosk's startup snapshot (dist/boot.sh, dist/boot-snapshot.js;
// src/boot-snapshot.ts) runs the program named on its command line and never
// a wrong or stale one: a seal takes only the blob it was made for and the
// builder that made it; on the built files, a boot without a snapshot runs
// as node would and makes one in the background, sealed; a boot with it
// runs the script from disk with its arguments, Node.js's built-in modules
// already loaded, and passes its exit status through; a blob with a flipped
// byte, one Node.js refuses (made under other V8 flags), one made by another
// boot-snapshot.js, and a cut one that crashes node are each removed, the
// first three with the same command run at once without them. And `boot.sh
// node boot.js version` prints what `node terminal.js version` prints.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32Hex, sealFault, sealPath, sealText, snapshotBlobOf } from '../../src/boot-snapshot';
import { terminalBundle } from '../helpers/cli';

const dir = mkdtempSync(path.join(tmpdir(), 'boot-snapshot-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const dist = path.dirname(terminalBundle);
const flags = ['--disallow-code-generation-from-strings'];

/** A program that prints what it saw as one JSON line and exits with the status its first argument names. */
const probe = path.join(dir, 'probe.js');
writeFileSync(
  probe,
  "const crypto = process.moduleLoadList.includes('NativeModule crypto');\n" +
    'process.stdout.write(JSON.stringify({ argv: process.argv.slice(1), snapshot: process.execArgv.includes("--snapshot-blob"), cryptoAtStart: crypto, main: require.main === module }) + "\\n");\n' +
    'process.exitCode = Number(process.argv[2] ?? 0);\n',
);

/** boot.sh (of `folder`) on `args` after node and its flags, with STATE_DIRECTORY `state`. */
function boot(folder: string, state: string | null, args: readonly string[], extraFlags: readonly string[] = flags) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '' };
  if (state !== null) env.STATE_DIRECTORY = state;
  env.SETTLE_SNAPSHOT_DELAY_S = '0';
  return spawnSync('/bin/sh', [path.join(folder, 'boot.sh'), process.execPath, ...extraFlags, ...args], { encoding: 'utf8', env });
}

/** Builds and seals a blob at `blob` with builder `builder` under node flags `withFlags`, as boot.sh does. */
function build(blob: string, builder: string, withFlags: readonly string[] = flags): void {
  const built = spawnSync(process.execPath, [...withFlags, '--snapshot-blob', blob, '--build-snapshot', builder], { encoding: 'utf8' });
  assert.is(built.status, 0, built.stderr);
  const sealed = spawnSync(process.execPath, [builder, 'seal', blob], { encoding: 'utf8' });
  assert.is(sealed.status, 0, sealed.stderr);
}

/** Waits (up to 90 s) for boot.sh's background build to leave a blob and its seal in `state`. */
async function madeIn(state: string): Promise<void> {
  const blob = path.join(state, 'boot.blob');
  for (let waited = 0; waited < 90_000; waited += 100) {
    if (existsSync(blob) && existsSync(sealPath(blob))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.unreachable(`no snapshot made in ${state}: ${existsSync(path.join(state, 'boot-snapshot.log')) ? readFileSync(path.join(state, 'boot-snapshot.log'), 'utf8') : 'no log'}`);
}

const flip = (file: string, at: number) => {
  const bytes = readFileSync(file);
  const index = Math.floor(bytes.length * at);
  bytes.writeUInt8((bytes[index] as number) ^ 0xff, index);
  writeFileSync(file, bytes);
};

test('a seal takes the blob it was made for, from the builder it was made by, and nothing else', () => {
  const folder = path.join(dir, 'seal');
  mkdirSync(folder);
  const blob = path.join(folder, 'b.blob');
  const builder = path.join(folder, 'builder.js');
  writeFileSync(blob, Buffer.alloc(10_000, 3));
  writeFileSync(builder, '// builder\n');
  const builderCrc = crc32Hex(readFileSync(builder)) as string;
  assert.match(builderCrc, /^[0-9a-f]{8}$/);
  assert.match(sealFault(blob, builder, builderCrc) ?? '', /^unreadable: /, 'no seal');
  writeFileSync(sealPath(blob), sealText(readFileSync(blob), readFileSync(builder)));
  assert.is(sealFault(blob, builder, builderCrc), null);
  flip(blob, 0.9);
  assert.match(sealFault(blob, builder, builderCrc) ?? '', /^its CRC-32 is [0-9a-f]{8}, its seal says [0-9a-f]{8}$/, 'a flipped byte');
  flip(blob, 0.9);
  assert.is(sealFault(blob, builder, builderCrc), null, 'flipped back');
  writeFileSync(blob, readFileSync(blob).subarray(0, 9_999));
  assert.match(sealFault(blob, builder, builderCrc) ?? '', /^its CRC-32 is /, 'cut short');
  writeFileSync(blob, Buffer.alloc(10_000, 3));
  assert.is(sealFault(blob, builder, '00000000'), 'its seal is for another boot-snapshot.js');
  appendFileSync(builder, '// updated\n');
  assert.match(sealFault(blob, builder, builderCrc) ?? '', /^it was made from another .*builder\.js \(an update since\)$/);
  writeFileSync(sealPath(blob), 'not a seal\n');
  assert.match(sealFault(blob, builder, builderCrc) ?? '', /is not a seal$/);
  assert.is(snapshotBlobOf(['--disallow-code-generation-from-strings', '--snapshot-blob', '/x/b.blob']), '/x/b.blob');
  assert.is(snapshotBlobOf(['--snapshot-blob=/y.blob']), '/y.blob');
  assert.is(snapshotBlobOf(['--no-warnings']), null);
});

test('a boot without a snapshot runs as node would and makes one; the next runs from it, the script from disk, its status passed through', async () => {
  const state = path.join(dir, 'first');
  mkdirSync(state);
  const first = boot(dist, state, [probe, '0', 'two words']);
  assert.is(first.status, 0, first.stderr);
  assert.equal(JSON.parse(first.stdout), { argv: [probe, '0', 'two words'], snapshot: false, cryptoAtStart: false, main: true });
  await madeIn(state);
  assert.match(readFileSync(path.join(state, 'boot-snapshot.log'), 'utf8'), /boot snapshot .*boot\.blob made\n$/);
  const second = boot(dist, state, [probe, '3', 'two words']);
  assert.is(second.status, 3, 'the exit status passed through');
  assert.is(second.stderr, '');
  assert.equal(JSON.parse(second.stdout), { argv: [probe, '3', 'two words'], snapshot: true, cryptoAtStart: true, main: true });
  assert.ok(existsSync(path.join(state, 'boot.blob')), 'the blob is kept after a run that exits with a status of its own');
  const none = boot(dist, null, [probe]);
  assert.equal(JSON.parse(none.stdout).snapshot, false, 'without $STATE_DIRECTORY no snapshot is used');
});

test('on the built firmware: boot.sh node boot.js version prints what terminal.js version prints, with and without the snapshot', async () => {
  const state = path.join(dir, 'firmware');
  mkdirSync(state);
  const expected = spawnSync(process.execPath, [terminalBundle, 'version'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  assert.is(expected.status, 0, expected.stderr);
  for (const round of ['no snapshot yet', 'from the snapshot']) {
    if (round === 'from the snapshot') await madeIn(state);
    const run = boot(dist, state, [path.join(dist, 'boot.js'), 'version']);
    assert.is(run.status, 0, `${round}: ${run.stderr}`);
    assert.is(run.stdout, expected.stdout, round);
    assert.is(run.stderr, '', round);
  }
});

test('a flipped byte, a blob Node.js refuses, and a blob of another boot-snapshot.js: refused, and the same command runs at once without; a sound one is made again', async () => {
  const folder = path.join(dir, 'install');
  mkdirSync(folder);
  for (const name of ['boot.sh', 'boot-snapshot.js']) copyFileSync(path.join(dist, name), path.join(folder, name));
  const builder = path.join(folder, 'boot-snapshot.js');
  const cases: { name: string; make(blob: string): void; says: RegExp }[] = [
    { name: 'a flipped byte (past what V8 checks itself)', make: (blob) => (build(blob, builder), flip(blob, 0.9)), says: /^boot snapshot .*boot\.blob: its CRC-32 is [0-9a-f]{8}, its seal says [0-9a-f]{8}: not used\n$/ },
    { name: 'made under other V8 flags', make: (blob) => build(blob, builder, []), says: /Failed to load the startup snapshot/ },
    { name: 'made by another boot-snapshot.js', make: (blob) => (build(blob, builder), appendFileSync(builder, '// an update\n')), says: /: it was made from another .*boot-snapshot\.js \(an update since\): not used\n$/ },
  ];
  for (const [index, each] of cases.entries()) {
    const state = path.join(dir, `refused-${index}`);
    mkdirSync(state);
    const blob = path.join(state, 'boot.blob');
    each.make(blob);
    const refused = readFileSync(blob);
    const run = boot(folder, state, [probe, '0']);
    assert.is(run.status, 0, `${each.name}: ${run.stderr}`);
    assert.equal(JSON.parse(run.stdout), { argv: [probe, '0'], snapshot: false, cryptoAtStart: false, main: true }, each.name);
    assert.match(run.stderr, each.says, each.name);
    await madeIn(state);
    assert.not.ok(readFileSync(blob).equals(refused), `${each.name}: replaced`);
    assert.is(sealFault(blob, builder, crc32Hex(readFileSync(builder)) as string), null, `${each.name}: a sound one made again`);
    const again = boot(folder, state, [probe, '0']);
    assert.is(JSON.parse(again.stdout).snapshot, true, `${each.name}: used at the next boot`);
  }
});

test('a blob that crashes node (cut short, its seal matching) is removed, and the crash is the status', () => {
  const state = path.join(dir, 'cut');
  mkdirSync(state);
  const blob = path.join(state, 'boot.blob');
  build(blob, path.join(dist, 'boot-snapshot.js'));
  writeFileSync(blob, readFileSync(blob).subarray(0, 1_000_000));
  writeFileSync(sealPath(blob), sealText(readFileSync(blob), readFileSync(path.join(dist, 'boot-snapshot.js'))));
  const run = spawnSync('/bin/sh', [path.join(dist, 'boot.sh'), process.execPath, ...flags, probe, '0'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', STATE_DIRECTORY: state } });
  assert.ok((run.status ?? 0) > 128, `died on a signal: ${run.status}`);
  assert.is(run.stdout, '', 'nothing of the program ran');
  assert.not.ok(existsSync(blob) || existsSync(sealPath(blob)), 'removed: the restart boots without it');
});

test.run();

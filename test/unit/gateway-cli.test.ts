// Proves the `hub gateway` command (device/sim/hub/cli.ts, gateway/gateway.ts)
// as a user runs it, on the built bundle: beside `hub national-sim` on
// loopback, with a configuration file naming Mr. Zhang's hospital, it prints
// where it listens and its hub key, meets an enrolled terminal over TCP
// exactly as the reference hub does (sign-in answered by the hub itself),
// forwards the terminal's person query to the platform (9001, then 1101: the
// simulator counts both) and answers with the person the platform found,
// refuses a terminal of a hospital the file does not name with
// `institution_not_networked` (nothing sent), holds the state directory's
// lock, and stops on SIGTERM with its figures; started again, it reopens its
// journal (PGlite in the state directory) and resolves nothing twice; with
// `--db postgres://...` it keeps the journal on a PostgreSQL server. Bad
// flags and files are one line with a stable code and exit 2.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bytesEqual, bytesToHex, hexToBytes } from '../../protocol/crypto';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { HubClient } from '../../src/hub/client';
import { TerminalJournal } from '../../src/journal/journal';
import { SocketPort } from '../../device/sim/socket-port';
import { sm2PublicKeyOf } from '../../gateway/sm';
import { runSim, startSim } from '../helpers/cli';
import { gatewayConfigJson } from '../helpers/gateway';
import { realTimers, terminalSigner } from '../helpers/hub-rig';
import { MemoryDisk } from '../helpers/memory-disk';
import { pgDatabase } from '../helpers/pg';
import pg from 'pg';
import { gatewayKey, platformKey, seedNational, testAppAuth } from '../helpers/national';

const dir = mkdtempSync(path.join(tmpdir(), 'gateway-cli-'));
const gatewayState = path.join(dir, 'gateway');
const platformState = path.join(dir, 'platform');
const simConfig = path.join(dir, 'national.json');
writeFileSync(simConfig, JSON.stringify({ platform_key: platformKey, gateway_public_key: sm2PublicKeyOf(gatewayKey), app_auth: { app_id: testAppAuth.appId, app_secret: testAppAuth.appSecret, digest: testAppAuth.digest } }));
const gatewayConfig = path.join(dir, 'gateway.json');

function terminal(index: number, id: string, fixmedinsCode: string, port: number, hubKeyHex: string) {
  const hubKey = nodeCryptoProvider.verifier(hexToBytes(hubKeyHex, 32, 'key'));
  return HubClient.open({
    terminal: id,
    fixmedinsCode,
    firmware: 'test',
    connect: () => SocketPort.connect('127.0.0.1', port),
    signer: terminalSigner(index),
    hubKeys: (kid) => (bytesEqual(kid, hubKey.kid) ? hubKey : null),
    journal: TerminalJournal.open({ storage: new MemoryDisk(), file: '/j' }),
    timers: realTimers,
    timeS: () => Math.floor(Date.now() / 1_000),
    random: Math.random,
  });
}

/** SIGTERM, then the stop line (closing the hub and the journal may take seconds on a loaded machine), then its own exit code. */
async function stopped(running: ReturnType<typeof startSim>, name = 'gateway'): Promise<number | null> {
  process.kill(running.pid, 'SIGTERM');
  await running.waitFor(new RegExp(`^${name}: stopped; `), 60_000);
  // A second signal would find no handler left and end it by signal: wait for its own exit.
  return running.exited();
}

test('bad flags and files: one line, a stable code, exit 2', () => {
  writeFileSync(gatewayConfig, JSON.stringify({ ...gatewayConfigJson('http://127.0.0.1:9/', ['H11010600001']), timeout_ms: 5 }));
  writeFileSync(gatewayConfig.replace('gateway.json', 'good.json'), JSON.stringify(gatewayConfigJson('http://127.0.0.1:9/', ['H11010600001'])));
  const cases: [string[], RegExp][] = [
    [['--listen', '127.0.0.1:0'], /hub: usage: --config is required/],
    [['--config', gatewayConfig], /hub: usage: give one of --port PATH or --listen HOST:PORT/],
    [['--config', gatewayConfig, '--listen', '127.0.0.1:0'], /hub: config_invalid: config\.timeout_ms must be from 100 to 120000, got 5/],
    [['--config', path.join(dir, 'none.json'), '--listen', '127.0.0.1:0'], /hub: config_unreadable: /],
    [['--config', gatewayConfig, '--listen', '127.0.0.1:0', '--connections-max', '0'], /hub: usage: --connections-max must be an integer/],
    [['--config', gatewayConfig.replace('gateway.json', 'good.json'), '--listen', '127.0.0.1:0', '--db', 'mysql://x'], /hub: db_unavailable: --db takes a directory or a postgres:\/\/ URL, not mysql:\/\//],
    [['--config', gatewayConfig.replace('gateway.json', 'good.json'), '--listen', '127.0.0.1:0', '--db', 'postgres://gateway:pw@127.0.0.1:1/x'], /hub: db_unavailable: PostgreSQL postgres:\/\/gateway@127\.0\.0\.1:1\/x: /],
  ];
  for (const [args, expected] of cases) {
    const out = runSim(['hub', 'gateway', '--state', gatewayState, ...args]);
    assert.is(out.code, 2, `${args.join(' ')}: ${out.stdout}${out.stderr}`);
    assert.match(out.stderr, expected, args.join(' '));
  }
});

test('hub gateway --help describes its flags and the configuration file', () => {
  const help = runSim(['hub', '--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /usage: settle-sim hub gateway --state DIR --config FILE/);
  for (const key of ['url', 'timeout_ms', 'gateway_key', 'platform_public_key', 'app_auth', 'envelope', 'identity', 'institutions']) assert.match(help.stdout, new RegExp(`^ {2}${key} +\\S`, 'm'), key);
});

test('a terminal meets the gateway as it meets the hub; its person query goes to the platform; another hospital is refused', async () => {
  const sim = startSim(['hub', 'national-sim', '--state', platformState, '--listen', '127.0.0.1:0', '--config', simConfig]);
  let gateway = null as ReturnType<typeof startSim> | null;
  try {
    const simLine = await sim.waitFor(/listening on/, 20_000);
    const url = (/listening on (http:\/\/[^;]+);/.exec(simLine) as RegExpExecArray)[1] as string;
    writeFileSync(gatewayConfig, JSON.stringify(gatewayConfigJson(url, ['H11010600001'])));
    // Two terminals: T1 at Mr. Zhang's Beijing hospital (configured), T2 in Shanghai (not).
    for (const [index, id, code] of [[1, 'T1', 'H11010600001'], [2, 'T2', 'H31010100003']] as const) {
      const enrolled = runSim(['hub', 'enroll', '--state', gatewayState, '--terminal', id, '--institution', code, '--pub', bytesToHex(terminalSigner(index).publicKey)]);
      assert.is(enrolled.code, 0, enrolled.stderr);
    }
    gateway = startSim(['hub', 'gateway', '--state', gatewayState, '--config', gatewayConfig, '--listen', '127.0.0.1:0']);
    const first = await gateway.waitFor(/^gateway: national interface/, 60_000);
    assert.match(first, new RegExp(`national interface ${url.replace(/[/.]/g, '\\$&')}, 1 institutions, journal PGlite .*gateway-db; 0 unanswered 2207 resolved, 0 left`));
    const line = await gateway.waitFor(/listening on/, 30_000);
    const match = /gateway: listening on 127\.0\.0\.1:([0-9]+); key ([0-9a-f]{64})/.exec(line) as RegExpExecArray;
    assert.ok(match !== null, line);
    const locked = runSim(['hub', 'show', '--state', gatewayState]);
    assert.match(locked.stderr, /hub: state_locked/);

    const zhang = seedNational()[0] as ReturnType<typeof seedNational>[number];
    const t1 = await terminal(1, 'T1', 'H11010600001', Number(match[1]), match[2] as string);
    const signed = await t1.signIn();
    assert.ok(signed.ok, JSON.stringify(signed));
    const person = await t1.person(zhang.credential);
    assert.ok(person.ok, JSON.stringify(person));
    if (person.ok) assert.equal(person.value, zhang.person);
    await t1.close();

    const t2 = await terminal(2, 'T2', 'H31010100003', Number(match[1]), match[2] as string);
    const t2Signed = await t2.signIn();
    assert.ok(t2Signed.ok, JSON.stringify(t2Signed));
    const refused = await t2.person(zhang.credential);
    assert.ok(!refused.ok && refused.error.code === 'institution_not_networked', JSON.stringify(refused));
    await t2.close();

    assert.is(await stopped(gateway), 0);
    const stopLine = gateway.lines.find((printed) => printed.startsWith('gateway: stopped; ')) as string;
    const figures = JSON.parse(stopLine.slice('gateway: stopped; '.length)) as { calls: number; byInfno: Record<string, number>; sentBytes: number; receivedBytes: number };
    assert.equal(figures.byInfno, { '9001': 1, '1101': 1 });
    assert.is(figures.calls, 2);
    assert.ok(figures.sentBytes > 0 && figures.receivedBytes > 0);
    assert.is(runSim(['hub', 'show', '--state', gatewayState]).code, 0, 'the lock is released');

    // Started again: the journal reopens from the state directory.
    gateway = startSim(['hub', 'gateway', '--state', gatewayState, '--config', gatewayConfig, '--listen', '127.0.0.1:0']);
    assert.match(await gateway.waitFor(/^gateway: national interface/, 60_000), /0 unanswered 2207 resolved, 0 left/);
    await gateway.waitFor(/listening on/, 30_000);
    assert.is(await stopped(gateway), 0);

    // On a PostgreSQL server (--db postgres://...): the same schema created there, the password never printed.
    const database = await pgDatabase();
    if (database !== null) {
      try {
        const withPassword = new URL(database.url);
        withPassword.password = 'unused-by-trust';
        gateway = startSim(['hub', 'gateway', '--state', gatewayState, '--config', gatewayConfig, '--listen', '127.0.0.1:0', '--db', withPassword.href]);
        const opened = await gateway.waitFor(/^gateway: national interface/, 60_000);
        assert.match(opened, /journal PostgreSQL postgres:\/\/gateway@127\.0\.0\.1:[0-9]+\/gateway_test_[0-9a-f]+; 0 unanswered 2207 resolved, 0 left/);
        assert.not.match(gateway.lines.join('\n'), /unused-by-trust/);
        await gateway.waitFor(/listening on/, 30_000);
        assert.is(await stopped(gateway), 0);
        const tables = new pg.Client({ connectionString: database.url });
        await tables.connect();
        try {
          assert.equal((await tables.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'national_call'")).rows, [{ n: 1 }]);
        } finally {
          await tables.end();
        }
      } finally {
        await database.drop();
      }
    }
    assert.is(await stopped(sim, 'national-sim'), 0);
    assert.match(sim.lines.join('\n'), /national-sim: stopped; \{"calls":2,"refused":0/);
  } finally {
    await gateway?.stop('SIGKILL');
    await sim.stop('SIGKILL');
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();

// Proves every command's --help describes its flags, on the built bundles:
// it walks every command `--help` lists, of the firmware (dist/terminal.js)
// and of the simulation (dist/sim.js), and every subcommand, runs each with a
// flag nobody takes, and records what the parser was asked to accept (a
// preload wraps node:util's parseArgs, the parser every command uses, and
// writes its options to a file); each of those flags must have a line of its
// own in that command's help (`--name VALUE  what it does`), and every flag
// the help describes must be one the parser takes. `run --help` documents
// every profile field (name, what its value must be, its default, its
// meaning): each field a profile may hold has its line, and each default the
// help states is the value the parser gives the field when it is absent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseProfile } from '../../src/profile';
import { projectRoot, runSim, runTerminal, simBundle, terminalBundle, type CliResult } from '../helpers/cli';

const spyDir = mkdtempSync(path.join(tmpdir(), 'help-spy-'));
const spy = path.join(spyDir, 'spy.js');
writeFileSync(
  spy,
  `const util = require('node:util');
const fs = require('node:fs');
const parse = util.parseArgs;
util.parseArgs = function (config) {
  fs.appendFileSync(process.env.HELP_SPY_OUT, JSON.stringify(Object.keys((config && config.options) || {})) + '\\n');
  return parse.apply(this, arguments);
};
`,
);
process.on('exit', () => rmSync(spyDir, { recursive: true, force: true }));

/** The flags the parser was asked to accept when the bundle ran `args` (each call's option names). */
function parserFlags(bundle: string, args: readonly string[]): string[][] {
  const out = path.join(spyDir, `calls-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(out, '');
  const result = spawnSync(process.execPath, ['--require', spy, bundle, ...args], { cwd: projectRoot, env: { ...process.env, HELP_SPY_OUT: out }, encoding: 'utf8', timeout: 30_000 });
  assert.is(result.status, 2, `${args.join(' ')}: refused as bad usage\n${result.stderr}`);
  assert.match(result.stderr, /Unknown option '--zz-no-such-flag'/, args.join(' '));
  return readFileSync(out, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as string[]);
}

/** The commands a bundle's --help lists. */
function commandsOf(run: (args: readonly string[]) => CliResult): string[] {
  const help = run(['--help']).stdout;
  const list = help.slice(help.indexOf('commands:\n') + 'commands:\n'.length);
  return [...list.matchAll(/^ {2}([a-z]+) {2,}\S/gm)].map((match) => match[1] as string);
}

/** The flags a help text describes: a line `  --name [VALUE]  text`. */
function describedFlags(help: string): Set<string> {
  return new Set([...help.matchAll(/^ {2}--([a-z][a-z-]*)(?: \S+)? {2,}\S/gm)].map((match) => match[1] as string));
}

/** Words that pick a subcommand (the first word after the command) where the command has them; written here, not read from the help. */
const subcommands: Readonly<Record<string, readonly string[]>> = {
  probe: ['card-reader', 'qr-scanner', 'printer'],
  catalogue: ['inspect', 'lookup', 'apply'],
  frame: ['decode'],
  cose: ['sign', 'verify'],
  emulate: ['card-reader', 'qr-scanner', 'printer'],
  hub: ['init', 'serve', 'national-sim', 'gateway', 'generate', 'enroll', 'clearing', 'audit', 'show'],
};
const simOnlySubcommands: Readonly<Record<string, readonly string[]>> = { catalogue: ['generate', 'delta'] };

const bundles = [
  { name: 'settle-terminal', bundle: terminalBundle, run: runTerminal, extra: {} as Readonly<Record<string, readonly string[]>> },
  { name: 'settle-sim', bundle: simBundle, run: runSim, extra: simOnlySubcommands },
];

for (const { name, bundle, run, extra } of bundles) {
  test(`${name}: each flag every command's parser takes is described in its --help, and every flag described is taken`, () => {
    const commands = commandsOf(run);
    assert.ok(commands.includes('run') && commands.includes('probe') && commands.includes('settle'), commands.join(' '));
    let checked = 0;
    for (const command of commands) {
      const help = run([command, '--help']);
      assert.is(help.code, 0, command);
      const described = describedFlags(help.stdout);
      const taken = new Set<string>();
      const subs = subcommands[command] === undefined ? [''] : [...(subcommands[command] ?? []), ...(extra[command] ?? [])];
      for (const sub of subs) {
        if (sub !== '' && command !== 'probe' && command !== 'emulate') assert.match(help.stdout, new RegExp(`^usage: ${name} ${command} ${sub}\\b`, 'm'), `${command} ${sub} in its help`);
        const calls = parserFlags(bundle, [command, ...(sub === '' ? [] : [sub]), '--zz-no-such-flag']);
        assert.ok(calls.length > 0, `${command} ${sub}: its parser ran`);
        for (const flags of calls) for (const flag of flags) taken.add(flag);
      }
      for (const flag of taken) {
        assert.ok(described.has(flag), `${name} ${command} --help describes --${flag}:\n${help.stdout}`);
        checked += 1;
      }
      for (const flag of described) assert.ok(taken.has(flag), `${name} ${command} --help describes --${flag}, which its parser does not take`);
    }
    assert.ok(checked >= 20, `${checked} flags checked`);
  });
}

/** Every field a profile may hold, as README.md's profile table lists them (ports.* once, for every port). */
const profileFields = [
  'profile', 'terminal', 'institution', 'institution_name', 'state', 'hub_key', 'layout', 'offline_floor_fen', 'receipt_cells', 'ui_port',
  'ports', 'ports.path', 'ports.baud', 'ports.data_bits', 'ports.parity', 'ports.stop_bits', 'ports.flow',
  'line', 'line.baud', 'line.loss', 'line.seed',
  'timeouts_ms', 'timeouts_ms.patient', 'timeouts_ms.hub_request', 'timeouts_ms.hub_settle',
];

/** run --help's profile lines: `  name: what[, default X]; meaning`, a group's fields indented under `  group: … {`. */
function helpFields(help: string): Map<string, { line: string; fallback: string | null }> {
  const fields = new Map<string, { line: string; fallback: string | null }>();
  let group: string | null = null;
  for (const line of help.slice(help.indexOf('\nprofile')).split('\n')) {
    const top = /^ {2}([a-z_]+): (.+)$/.exec(line);
    const inner = /^ {4}([a-z_]+): (.+)$/.exec(line);
    if (line === '  }') group = null;
    else if (top !== null) {
      fields.set(top[1] as string, { line, fallback: null });
      if (line.endsWith('{')) group = top[1] as string;
      else fields.set(top[1] as string, { line, fallback: /, default ([^;]+);/.exec(top[2] as string)?.[1] ?? null });
    } else if (inner !== null && group !== null) {
      fields.set(`${group}.${inner[1]}`, { line, fallback: /, default ([^;]+);/.exec(inner[2] as string)?.[1] ?? null });
    }
  }
  return fields;
}

test('run --help documents every profile field: what its value must be, its default, what it means', () => {
  const help = runTerminal(['run', '--help']).stdout;
  const fields = helpFields(help);
  for (const field of profileFields) {
    const found = fields.get(field);
    assert.ok(found !== undefined, `${field} in run --help:\n${help}`);
    assert.match(found.line, /: \S.*; \S/, `${field}: what it must be; what it means`);
  }
  assert.equal([...fields.keys()].sort(), [...profileFields].sort(), 'no field the profile does not take');
});

test("each default run --help states is what the parser gives an absent field", () => {
  const fields = helpFields(runTerminal(['run', '--help']).stdout);
  const read = (name: string) => JSON.parse(readFileSync(path.join(projectRoot, 'device', ...(name === 'emulated' ? ['sim'] : []), 'profiles', `${name}.json`), 'utf8')) as Record<string, unknown>;
  const kiosk = read('kiosk');
  const minimal = { ...kiosk, offline_floor_fen: undefined, receipt_cells: undefined, timeouts_ms: undefined, ports: { ...(kiosk.ports as object), hub: { path: '/dev/ttyS0' } } };
  const parsed = parseProfile(JSON.stringify(minimal), (state) => state);
  const emulated = parseProfile(JSON.stringify({ ...read('emulated'), line: undefined }), (state) => state);
  const frameKey: Readonly<Record<string, string>> = { data_bits: 'dataBits', parity: 'parity', stop_bits: 'stopBits', flow: 'flow' };
  const valueOf = (field: string): unknown => {
    const [group, name] = field.split('.') as [string, string | undefined];
    if (name === undefined) return (parsed as unknown as Record<string, unknown>)[group];
    if (group === 'ports') return name in frameKey ? (parsed.ports?.hub?.frame as unknown as Record<string, unknown>)[frameKey[name] as string] : (parsed.ports?.hub as unknown as Record<string, unknown>)[name];
    return ((group === 'line' ? emulated : parsed) as unknown as Record<string, Record<string, unknown>>)[group]?.[name];
  };
  let checked = 0;
  for (const [field, { fallback }] of fields) {
    if (fallback === null) continue;
    assert.is(String(valueOf(field)), fallback, field);
    checked += 1;
  }
  assert.ok(checked >= 12, `${checked} defaults checked`);
});

test.run();

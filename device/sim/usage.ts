// The simulation's program name, and the summary and syntax of its commands
// whose code is loaded only when they run (device/sim/commands.ts): `--help`
// reads them here, so listing them loads nothing else, and the commands parse
// their arguments by these same tables (src/cli/command.ts, Syntax).
import type { Program } from '../../src/cli/cli';
import type { Flag, Syntax } from '../../src/cli/command';

export const simProgram: Program = {
  name: 'settle-sim',
  about: 'The settlement terminal off the device: the demo, the reference hub, device emulators, the emulated and hil profiles, generators.',
};

const baud = { value: 'N', help: 'line speed, 300 to 4000000 (default 115200)' } as const satisfies Flag;

export const emulateSyntax = {
  synopsis: 'emulate card-reader|qr-scanner|printer --port PATH [--cards FILE] [--baud N]',
  flags: {
    port: { value: 'PATH', help: "the serial port or pty the emulator answers on (the terminal's is the other end)" },
    cards: { value: 'FILE', help: 'card-reader: its virtual cards, JSON (README, emulators); default the seed patients\' cards' },
    baud,
  },
  positionalsMax: 1,
} as const satisfies Syntax;

export const demoSummary = 'the kiosk demo on the emulated profile with the seed patients (npm start)';
export const demoSyntax = {
  synopsis: 'demo [--seed N] [--baud N] [--loss P] [--patients N] [--state DIR] [--json] [--ui [--ui-port N]] [--clock real|virtual] [--watchdog-s N] [--gateway]',
  flags: {
    seed: { value: 'N', help: 'seeds the line faults and the synthetic patients (default 1)' },
    baud: { value: 'N', help: "the simulated lines' speed, 1200 to 4000000 (default 115200)" },
    loss: { value: 'P', help: "the hub lines' frame fault rate, 0 to 0.3 (default 0)" },
    patients: { value: 'N', help: 'adds N synthetic patients (default 0)' },
    state: { value: 'DIR', help: "keeps the hub's and terminals' state there (default a fresh temporary directory)" },
    json: { help: 'a machine-readable summary as the last line' },
    ui: { help: "BJ-K01's touch-screen page: its address the only line on stdout, its patients driven from the page, the log on stderr" },
    'ui-port': { value: 'N', help: 'with --ui: the page on 127.0.0.1:N (default 0, a free port)' },
    clock: { value: 'real|virtual', help: "the run's time: the process's (default real), or virtual, which jumps from one timer to the next (a slow, lossy line in seconds of wall time)" },
    'watchdog-s': { value: 'N', help: "fails the run (exit 3) when nothing progresses for N seconds of the run's clock (default: no watchdog)" },
    gateway: { help: 'terminal -> gateway -> national simulator over HTTP instead of the reference hub (real clock only); ends with the gateway\'s figures' },
  },
  positionalsMax: 0,
} as const satisfies Syntax;

const state = { value: 'DIR', help: "the hub's state directory" } as const satisfies Flag;
const count = (help: string) => ({ value: 'N', help }) as const satisfies Flag;
/** How a hub serves its terminals: `hub serve`'s flags, which `hub gateway` takes as well. */
const serving = {
  port: { value: 'PATH', help: 'serve one serial line or pty' },
  baud,
  listen: { value: 'HOST:PORT', help: 'serve TCP connections (port 0 picks one)' },
  'offline-floor': { value: 'FEN', help: 'the offline floor limit it announces (default 50000)' },
  'session-hours': { value: 'H', help: 'how long a session lasts (default 12)' },
  'connections-max': count('connections at once (default 4096)'),
  'connections-per-address': count('connections from one address before their first signed request (default 64)'),
  'sign-in-seconds': { value: 'S', help: 'a network connection must carry a signed request within this (default 10)' },
} as const;

/** The hub's subcommands, by name: what each takes, and only that. */
export const hubSyntax = {
  init: { synopsis: 'hub init --state DIR', flags: { state }, positionalsMax: 0 },
  serve: {
    synopsis: 'hub serve --state DIR (--port PATH [--baud N] | --listen HOST:PORT) [flags]',
    flags: {
      state,
      ...serving,
    },
    positionalsMax: 0,
  },
  'national-sim': {
    synopsis: 'hub national-sim --state DIR --listen HOST:PORT --config FILE',
    flags: {
      state,
      listen: { value: 'HOST:PORT', help: 'loopback address of the simulated national platform (port 0 picks one)' },
      config: { value: 'FILE', help: "JSON: platform_key, gateway_public_key, app_auth (README, Gateway)" },
    },
    positionalsMax: 0,
  },
  gateway: {
    synopsis: 'hub gateway --state DIR --config FILE (--port PATH [--baud N] | --listen HOST:PORT) [--db PATH|postgres://...] [flags]',
    flags: {
      state,
      config: { value: 'FILE', help: 'JSON: url, timeout_ms, gateway_key, platform_public_key, app_auth, envelope, identity, institutions (below)' },
      db: { value: 'PATH|URL', help: "the journal's database: a PGlite directory, or postgres://USER@HOST:PORT/DB for a PostgreSQL server (default DIR/gateway-db)" },
      ...serving,
    },
    positionalsMax: 0,
  },
  generate: {
    synopsis: 'hub generate --state DIR --persons N --seed S [--bills-per-person K] [--terminals M] [--date YYYY-MM-DD]',
    flags: {
      state,
      persons: count('synthetic persons'),
      seed: { value: 'S', help: 'the population seed' },
      'bills-per-person': { value: 'K', help: 'pending bills each (default 4)' },
      terminals: { value: 'M', help: 'synthetic terminals enrolled (default 0)' },
      date: { value: 'YYYY-MM-DD', help: "the bills' date (default today, China time)" },
    },
    positionalsMax: 0,
  },
  enroll: {
    synopsis: 'hub enroll --state DIR --terminal ID --institution CODE --pub HEX64 [--role kiosk|counter]',
    flags: {
      state,
      terminal: { value: 'ID', help: "the terminal's id" },
      institution: { value: 'CODE', help: 'its institution (a fixmedins code the hub knows)' },
      pub: { value: 'HEX64', help: "the terminal's Ed25519 public key" },
      role: { value: 'kiosk|counter', help: "a counter terminal's operator may cancel the institution's settlements (default kiosk)" },
    },
    positionalsMax: 0,
  },
  clearing: { synopsis: 'hub clearing --state DIR --month YYYY-MM', flags: { state, month: { value: 'YYYY-MM', help: 'the month to clear' } }, positionalsMax: 0 },
  audit: { synopsis: 'hub audit --state DIR', flags: { state }, positionalsMax: 0 },
  show: { synopsis: 'hub show --state DIR [--person PSN_NO]', flags: { state, person: { value: 'PSN_NO', help: 'one person instead of the summary' } }, positionalsMax: 0 },
} as const satisfies Readonly<Record<string, Syntax>>;

export const hubSummary = 'the reference hub: init, serve, national-sim, gateway, generate, enroll, clearing, audit, show';

/** `hub --help` after the flags: the gateway's configuration file. */
export const hubMore = `hub gateway --config FILE is JSON with these keys (README, Gateway to the national interface):
  url                  the national interface's endpoint, http:// or https://
  timeout_ms           the wait for one answer, 100 to 120000 (default 10000)
  gateway_key          the institutions' SM2 private key, 64 hex digits
  platform_public_key  the platform's SM2 public key, 04 and 128 hex digits
  app_auth             app_id, app_secret, digest (sm3|sha256), headers {appId, timestamp, nonce, signature}
  envelope             recer_sys_code, dev_no, dev_safe_info, infver, opter_type, opter, opter_name
  identity             opter_no, mac, ip, dept_code, dept_name, dr_code, dr_name, caty, setl_optins
  institutions         {CODE: {name, mdtrtarea_admvs}}: the institutions it speaks for (area default: the code's six digits)
A bad file is 'hub: config_invalid: FIELD ...' and exit 2.`;

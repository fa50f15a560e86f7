// The device profile (issue 8): one JSON file that says what a terminal is
// and what it runs on, read strictly: an unknown key, a wrong type or a value
// out of range is refused with the field's path (`profile_invalid:
// ports.printer.baud must be …`), never guessed. Every field is a row of one
// table (`profileTable`): what its value must be, its default, what it means.
// The parser reads each field by its row and `run --help` prints the rows
// (`profileHelp`), so the help and the checks cannot drift. device/profiles/
// holds the kiosk and handheld examples, device/sim/profiles/ the emulated
// and hil ones.
//
//   emulated  everything in one process: the device emulators and the
//             reference hub over simulated serial lines (simulation bundle)
//   hil       the same emulators and hub on socat pseudo-terminals, the
//             terminal on the real serial binding
//   kiosk     real serial ports from `ports`; the kiosk screen layout
//   handheld  real serial ports from `ports`; the 20×4 layout
import type { SerialFrame } from '../device/port';
import { lineBaudMin, lineLossBpMax } from '../device/limits';
import { profileBytesMax } from './limits';

export const profileKinds = ['emulated', 'hil', 'kiosk', 'handheld'] as const;
export type ProfileKind = (typeof profileKinds)[number];

export interface SerialSpec {
  readonly path: string;
  readonly baud: number;
  /** The fields `data_bits` (8), `parity` (none), `stop_bits` (1) and `flow` (none): 8N1 without flow control unless the profile says otherwise. */
  readonly frame: SerialFrame;
}

export type PortName = 'card_reader' | 'qr_scanner' | 'printer' | 'hub';

/**
 * What each device's bytes are, which decides the frames its port may take:
 * 7 data bits lose every byte's eighth bit, and XON/XOFF flow control takes
 * the bytes 0x11 and 0x13 out of what the terminal reads. Only the scanner
 * sends ASCII only; the printer's status bytes (DLE EOT) are never 0x11 or
 * 0x13 (bit 0 of each is always 0), so it may pace the terminal by XON/XOFF.
 */
const portBytes: Record<PortName, { readonly sevenBits: string | null; readonly xonXoff: string | null }> = {
  card_reader: { sevenBits: "the card reader's frames use all eight bits", xonXoff: "the card reader's frames hold the bytes 0x11 and 0x13" },
  qr_scanner: { sevenBits: null, xonXoff: null },
  printer: { sevenBits: 'ESC/POS commands and GB18030 text use all eight bits', xonXoff: null },
  hub: { sevenBits: "the hub's frames use all eight bits", xonXoff: "the hub's frames hold the bytes 0x11 and 0x13" },
};

export interface Profile {
  readonly profile: ProfileKind;
  readonly terminal: string;
  readonly institution: string;
  readonly institution_name: string;
  /** The state directory, resolved against the profile file's folder. */
  readonly state: string;
  /** The hub's public key (hex); null in the emulated and hil profiles, which read the reference hub's own. */
  readonly hub_key: string | null;
  readonly layout: 'kiosk' | 'handheld';
  readonly offline_floor_fen: number;
  readonly receipt_cells: 32 | 48;
  /** The kiosk's touch-screen page on 127.0.0.1 (src/ui/server.ts); 0: none, the screen as text on stdout. */
  readonly ui_port: number;
  /** Real ports (kiosk, handheld): printer and hub always, a card reader or a QR scanner or both. */
  readonly ports: { readonly [P in PortName]: SerialSpec | null } | null;
  /** The simulated lines of the emulated and hil profiles: baud, frame fault rate of the hub line, seed. */
  readonly line: { readonly baud: number; readonly loss: number; readonly seed: number };
  readonly timeouts_ms: { readonly patient: number; readonly hub_request: number; readonly hub_settle: number };
}

export class ProfileError extends Error {
  override readonly name = 'ProfileError';
  constructor(
    readonly code: 'profile_not_json' | 'profile_invalid',
    /** The refusal without its code: `ports.hub.baud must be …`. */
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}

/**
 * One row of the profile's table: what a value must be (the refusal says
 * `FIELD must be WHAT`), the check, the value when the field is absent
 * (undefined: required, or a default that depends on another field, which
 * `doc` says), and what the field means.
 */
export interface ProfileField {
  readonly what: string;
  ok(value: unknown): boolean;
  readonly fallback?: string | number;
  readonly doc: string;
}

type Table = Readonly<Record<string, ProfileField>>;

const text = (pattern: RegExp, what: string, doc: string): ProfileField => ({ what, ok: (value) => typeof value === 'string' && pattern.test(value), doc });
const whole = (min: number, max: number, fallback: number, doc: string): ProfileField => ({
  what: `a whole number from ${min} to ${max}`,
  ok: (value) => Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max,
  fallback,
  doc,
});
const oneOf = (choices: readonly (string | number)[], fallback: string | number | undefined, doc: string): ProfileField => ({
  what: choices.join(', ').replace(/, ([^,]*)$/, ' or $1'),
  ok: (value) => choices.includes(value as string),
  fallback,
  doc,
});
const baud = whole(lineBaudMin, 4_000_000, 115_200, 'line speed');

/** A real port: `ports.card_reader`, `ports.qr_scanner`, `ports.printer`, `ports.hub`. */
export const portTable: Table = {
  path: text(/^\/[\x21-\x7e]{1,255}$/, 'an absolute device path', 'the serial device, e.g. /dev/ttyUSB0'),
  baud,
  data_bits: oneOf([7, 8], 8, '7 only for the QR scanner (ASCII)'),
  parity: oneOf(['none', 'even', 'odd'], 'none', 'parity bit'),
  stop_bits: oneOf([1, 2], 1, 'stop bits'),
  flow: oneOf(['none', 'rts_cts', 'xon_xoff'], 'none', 'flow control; xon_xoff not for the card reader or the hub (their bytes hold 0x11, 0x13)'),
};

/** The simulated lines (emulated, hil). */
const lineTable: Table = {
  baud,
  loss: { what: `a number from 0 to ${lineLossBpMax / 10_000}`, ok: (value) => typeof value === 'number' && value >= 0 && value * 10_000 <= lineLossBpMax, fallback: 0, doc: "the hub line's frame fault rate" },
  seed: whole(0, 0xffff_ffff, 1, 'seeds the line faults'),
};

const timeoutTable: Table = {
  patient: whole(1_000, 600_000, 60_000, 'the PIN, review and confirm screens'),
  hub_request: whole(100, 60_000, 3_000, 'a hub query'),
  hub_settle: whole(100, 60_000, 8_000, 'a settle or cancel'),
};

export const profileTable: Table = {
  profile: oneOf(profileKinds, undefined, 'kiosk, handheld: real ports; emulated, hil: emulators and the reference hub (node dist/sim.js run)'),
  terminal: text(/^[A-Za-z0-9_-]{1,32}$/, '1 to 32 of A-Z, a-z, 0-9, _ and -', 'the terminal id the hub enrolled'),
  // The national form: the kind letter, the place's six-digit area code, a five-digit serial. The area's province names the catalogue line the terminal accepts.
  institution: text(/^[A-Z][0-9]{11}$/, 'a national fixmedins code (a capital letter, the six-digit area code and five digits, e.g. H11010600001)', 'its province is the catalogue line accepted'),
  institution_name: text(/^[^\u0000-\u001f\u007f]{1,64}$/, '1 to 64 printable characters', 'on the receipt; default the institution code'),
  state: text(/^[^\u0000]{1,1024}$/, 'a directory', 'the state directory, relative to the profile file: terminal.key, journal, catalogue, policy book'),
  hub_key: text(/^[0-9a-f]{64}$/, 'the hub public key, 64 lowercase hex digits', 'kiosk, handheld (required): the pinned hub key'),
  layout: oneOf(['kiosk', 'handheld'], undefined, 'the screen; default the profile kind\'s (handheld for handheld, else kiosk)'),
  offline_floor_fen: whole(0, 10_000_000, 0, 'a bill up to it settles offline (0: never)'),
  receipt_cells: oneOf([32, 48], 32, '32 for 58 mm paper, 48 for 80 mm'),
  ui_port: whole(0, 65_535, 0, 'the touch-screen page on 127.0.0.1 (0: none, the screen as text on stdout)'),
};

/** The profile's groups of fields, by key: their tables and what each group is. */
const groups: Readonly<Record<string, readonly [Table, string]>> = {
  ports: [portTable, 'an object (kiosk, handheld: required); card_reader, qr_scanner (one or both), printer, hub, each {'],
  line: [lineTable, 'an object (emulated, hil); the simulated lines {'],
  timeouts_ms: [timeoutTable, 'an object; ms {'],
};

/** The profile's fields as `run --help` prints them, one line each: name, what its value must be, its default, what it means. */
export function profileHelp(): string {
  const rows = (table: Table, indent: string) =>
    Object.entries(table).map(([name, field]) => `${indent}${name}: ${field.what}${field.fallback === undefined ? '' : `, default ${field.fallback}`}; ${field.doc}`);
  return [
    'profile (JSON; an unknown field is refused):',
    ...rows(profileTable, '  '),
    ...Object.entries(groups).flatMap(([name, [table, doc]]) => [`  ${name}: ${doc}`, ...rows(table, '    '), '  }']),
  ].join('\n');
}

const bad = (at: string, what: string): never => {
  throw new ProfileError('profile_invalid', `${at} must be ${what}`);
};

type Json = Record<string, unknown>;

/** An object with only the keys named; absent keys read as undefined. */
function object(value: unknown, at: string, keys: readonly string[]): Json {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(at, 'an object');
  const extra = Object.keys(value as Json).find((key) => !keys.includes(key));
  return extra === undefined ? (value as Json) : bad(`${at}.${extra}`, 'absent: it is not a profile field');
}

/** A field read by its row: its default when absent (if it has one), else checked; `at` names it in a refusal. */
function read<T>(table: Table, name: string, value: unknown, at: string): T {
  const field = table[name] as ProfileField;
  if (value === undefined && field.fallback !== undefined) return field.fallback as T;
  return field.ok(value) ? (value as T) : bad(at, field.what);
}

/** Every field of a group's table read from `value`, an object of only those keys. */
function readAll<T>(table: Table, value: unknown, at: string): T {
  const json = object(value, at, Object.keys(table));
  return Object.fromEntries(Object.keys(table).map((name) => [name, read(table, name, json[name], `${at}.${name}`)])) as T;
}

/**
 * A port's frame fields (`data_bits`, `parity`, `stop_bits`, `flow`) read by
 * their rows and checked against what `port` carries; `name` says a field in
 * a refusal (`ports.hub.flow` in a profile, `--flow` for probe).
 */
export function serialFrame(spec: Readonly<Record<'data_bits' | 'parity' | 'stop_bits' | 'flow', unknown>>, name: (field: string) => string, port: PortName): SerialFrame {
  const field = <T>(key: keyof typeof spec) => read<T>(portTable, key, spec[key], name(key));
  const frame: SerialFrame = { dataBits: field('data_bits'), parity: field('parity'), stopBits: field('stop_bits'), flow: field('flow') };
  const why = portBytes[port];
  if (frame.dataBits === 7 && why.sevenBits !== null) bad(name('data_bits'), `8: ${why.sevenBits}`);
  if (frame.flow === 'xon_xoff' && why.xonXoff !== null) bad(name('flow'), `none or rts_cts: ${why.xonXoff}, which XON/XOFF flow control takes out`);
  return frame;
}

function serial(value: unknown, at: string, port: PortName): SerialSpec | null {
  if (value === undefined || value === null) return null;
  const spec = object(value, at, Object.keys(portTable));
  return {
    path: read(portTable, 'path', spec.path, `${at}.path`),
    baud: read(portTable, 'baud', spec.baud, `${at}.baud`),
    frame: serialFrame(spec as Record<'data_bits' | 'parity' | 'stop_bits' | 'flow', unknown>, (field) => `${at}.${field}`, port),
  };
}

function realPorts(value: unknown): Profile['ports'] {
  const spec = object(value ?? null, 'ports', ['card_reader', 'qr_scanner', 'printer', 'hub']);
  const ports = {
    card_reader: serial(spec.card_reader, 'ports.card_reader', 'card_reader'),
    qr_scanner: serial(spec.qr_scanner, 'ports.qr_scanner', 'qr_scanner'),
    printer: serial(spec.printer, 'ports.printer', 'printer'),
    hub: serial(spec.hub, 'ports.hub', 'hub'),
  };
  if (ports.printer === null || ports.hub === null) bad('ports', 'given a printer and a hub');
  if (ports.card_reader === null && ports.qr_scanner === null) bad('ports', 'given a card_reader, a qr_scanner or both');
  return ports;
}

/** Parses a profile file's text; `resolve` places a relative state directory (against the file's folder). */
export function parseProfile(source: string, resolve: (state: string) => string): Profile {
  if (source.length > profileBytesMax) bad('the profile', `at most ${profileBytesMax} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(source);
  } catch (error) {
    throw new ProfileError('profile_not_json', (error as Error).message);
  }
  const p = object(json ?? null, 'profile', [...Object.keys(profileTable), ...Object.keys(groups)]);
  const field = <T>(name: string, fallback?: T): T => (p[name] === undefined && fallback !== undefined ? fallback : read<T>(profileTable, name, p[name], name));
  const kind = field<ProfileKind>('profile');
  const simulated = kind === 'emulated' || kind === 'hil';
  for (const [key, present] of [['ports', simulated], ['hub_key', simulated], ['line', !simulated]] as const) {
    if (present && p[key] !== undefined) bad(key, `absent in the ${kind} profile${simulated ? ': its devices and hub are emulated' : ''}`);
  }
  const institution = field<string>('institution');
  return {
    profile: kind,
    terminal: field('terminal'),
    institution,
    institution_name: field('institution_name', institution),
    state: resolve(field('state')),
    hub_key: simulated ? null : field('hub_key'),
    layout: field('layout', kind === 'handheld' ? 'handheld' : 'kiosk'),
    offline_floor_fen: field('offline_floor_fen'),
    receipt_cells: field('receipt_cells'),
    ui_port: field('ui_port'),
    ports: simulated ? null : realPorts(p.ports),
    line: readAll(lineTable, p.line, 'line'),
    timeouts_ms: readAll(timeoutTable, p.timeouts_ms, 'timeouts_ms'),
  };
}

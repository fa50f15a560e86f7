// The device profile (issue 8): one JSON file that says what a terminal is
// and what it runs on, read strictly: an unknown key, a wrong type or a value
// out of range is refused with the field's path (`profile_invalid:
// ports.printer.baud must be …`), never guessed. README.md, "Profiles",
// documents every field; device/profiles/ holds the kiosk and handheld examples, device/sim/profiles/ the emulated and hil ones.
//
//   emulated  everything in one process: the device emulators and the
//             reference hub over simulated serial lines (tools bundle)
//   hil       the same emulators and hub on socat pseudo-terminals, the
//             terminal on the real serial binding
//   kiosk     real serial ports from `ports`; the kiosk screen layout
//   handheld  real serial ports from `ports`; the 20×4 layout
import type { SerialFrame } from '../device/port';
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
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

type Json = Record<string, unknown>;

const bad = (at: string, what: string): never => {
  throw new ProfileError('profile_invalid', `${at} must be ${what}`);
};

/** An object with only the keys named; absent keys read as undefined. */
function object(value: unknown, at: string, keys: readonly string[]): Json {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(at, 'an object');
  const extra = Object.keys(value as Json).find((key) => !keys.includes(key));
  return extra === undefined ? (value as Json) : bad(`${at}.${extra}`, 'absent: it is not a profile field');
}

function text(value: unknown, at: string, pattern: RegExp, what: string, fallback?: string): string {
  if (value === undefined && fallback !== undefined) return fallback;
  return typeof value === 'string' && pattern.test(value) ? value : bad(at, what);
}

function whole(value: unknown, at: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max ? (value as number) : bad(at, `a whole number from ${min} to ${max}`);
}

function oneOf<T>(value: unknown, at: string, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  return choices.includes(value as T) ? (value as T) : bad(at, choices.map(String).join(', ').replace(/, ([^,]*)$/, ' or $1'));
}

/** The frame fields of a port (`data_bits`, `parity`, `stop_bits`, `flow`), checked against what `port` carries; `at` names the port's object. */
export function serialFrame(spec: { readonly data_bits?: unknown; readonly parity?: unknown; readonly stop_bits?: unknown; readonly flow?: unknown }, at: string, port: PortName): SerialFrame {
  const frame: SerialFrame = {
    dataBits: oneOf(spec.data_bits, `${at}.data_bits`, [7, 8] as const, 8),
    parity: oneOf(spec.parity, `${at}.parity`, ['none', 'even', 'odd'] as const, 'none'),
    stopBits: oneOf(spec.stop_bits, `${at}.stop_bits`, [1, 2] as const, 1),
    flow: oneOf(spec.flow, `${at}.flow`, ['none', 'rts_cts', 'xon_xoff'] as const, 'none'),
  };
  const why = portBytes[port];
  if (frame.dataBits === 7 && why.sevenBits !== null) bad(`${at}.data_bits`, `8: ${why.sevenBits}`);
  if (frame.flow === 'xon_xoff' && why.xonXoff !== null) bad(`${at}.flow`, `none or rts_cts: ${why.xonXoff}, which XON/XOFF flow control takes out`);
  return frame;
}

function serial(value: unknown, at: string, port: PortName): SerialSpec | null {
  if (value === undefined || value === null) return null;
  const spec = object(value, at, ['path', 'baud', 'data_bits', 'parity', 'stop_bits', 'flow']);
  return {
    path: text(spec.path, `${at}.path`, /^\/[\x21-\x7e]{1,255}$/, 'an absolute device path'),
    baud: whole(spec.baud, `${at}.baud`, 300, 4_000_000, 115_200),
    frame: serialFrame(spec, at, port),
  };
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
  const p = object(json ?? null, 'profile', ['profile', 'terminal', 'institution', 'institution_name', 'state', 'hub_key', 'layout', 'offline_floor_fen', 'receipt_cells', 'ports', 'line', 'timeouts_ms']);
  const kind = text(p.profile, 'profile', /^(emulated|hil|kiosk|handheld)$/, profileKinds.join(', ')) as ProfileKind;
  const simulated = kind === 'emulated' || kind === 'hil';
  for (const [key, present] of [['ports', simulated], ['hub_key', simulated], ['line', !simulated]] as const) {
    if (present && p[key] !== undefined) bad(key, `absent in the ${kind} profile${simulated ? ': its devices and hub are emulated' : ''}`);
  }
  let ports: Profile['ports'] = null;
  if (!simulated) {
    const spec = object(p.ports ?? null, 'ports', ['card_reader', 'qr_scanner', 'printer', 'hub']);
    ports = {
      card_reader: serial(spec.card_reader, 'ports.card_reader', 'card_reader'),
      qr_scanner: serial(spec.qr_scanner, 'ports.qr_scanner', 'qr_scanner'),
      printer: serial(spec.printer, 'ports.printer', 'printer'),
      hub: serial(spec.hub, 'ports.hub', 'hub'),
    };
    if (ports.printer === null || ports.hub === null) bad('ports', 'given a printer and a hub');
    if (ports.card_reader === null && ports.qr_scanner === null) bad('ports', 'given a card_reader, a qr_scanner or both');
  }
  const line = object(p.line, 'line', ['baud', 'loss', 'seed']);
  const timeouts = object(p.timeouts_ms, 'timeouts_ms', ['patient', 'hub_request', 'hub_settle']);
  const loss = line.loss ?? 0;
  if (typeof loss !== 'number' || !(loss >= 0 && loss <= 0.5)) bad('line.loss', 'a number from 0 to 0.5');
  const cells = whole(p.receipt_cells, 'receipt_cells', 32, 48, 32);
  if (cells !== 32 && cells !== 48) bad('receipt_cells', '32 (58 mm paper) or 48 (80 mm)');
  // The national form: the kind letter, the place's six-digit area code, a five-digit serial. The area's province names the catalogue line the terminal accepts.
  const institution = text(p.institution, 'institution', /^[A-Z][0-9]{11}$/, 'a national fixmedins code (a capital letter, the six-digit area code and five digits, e.g. H11010600001)');
  return {
    profile: kind,
    terminal: text(p.terminal, 'terminal', /^[A-Za-z0-9_-]{1,32}$/, '1 to 32 of A-Z, a-z, 0-9, _ and -'),
    institution,
    institution_name: text(p.institution_name, 'institution_name', /^[^\u0000-\u001f\u007f]{1,64}$/, '1 to 64 printable characters', institution),
    state: resolve(text(p.state, 'state', /^[^\u0000]{1,1024}$/, 'a directory')),
    hub_key: simulated ? null : text(p.hub_key, 'hub_key', /^[0-9a-f]{64}$/, 'the hub public key, 64 lowercase hex digits'),
    layout: text(p.layout, 'layout', /^(kiosk|handheld)$/, 'kiosk or handheld', kind === 'handheld' ? 'handheld' : 'kiosk') as Profile['layout'],
    offline_floor_fen: whole(p.offline_floor_fen, 'offline_floor_fen', 0, 10_000_000, 0),
    receipt_cells: cells as 32 | 48,
    ports,
    line: { baud: whole(line.baud, 'line.baud', 300, 4_000_000, 115_200), loss: loss as number, seed: whole(line.seed, 'line.seed', 0, 0xffff_ffff, 1) },
    timeouts_ms: {
      patient: whole(timeouts.patient, 'timeouts_ms.patient', 1_000, 600_000, 60_000),
      hub_request: whole(timeouts.hub_request, 'timeouts_ms.hub_request', 100, 60_000, 3_000),
      hub_settle: whole(timeouts.hub_settle, 'timeouts_ms.hub_settle', 100, 60_000, 8_000),
    },
  };
}

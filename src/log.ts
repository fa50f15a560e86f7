// The terminal's log: one line per entry, with its time and level, as text
//   2026-12-05T12:00:00.000Z info hub signed in session=5
// or as JSON lines (`run --log json`)
//   {"time":"2026-12-05T12:00:00.000Z","level":"info","msg":"hub signed in","session":5}
// `run` writes it on stderr (journald keeps each line as it is) and the
// screen alone on stdout. A Log is passed in, never global (docs/conventions.md
// habit 6): `run` makes one on stderr, the demo one that names its kiosk, a
// test one that keeps the lines. What the log says is the terminal's doing and
// never a patient's secret: no PIN, no key seed reaches it.

export const logFormats = ['text', 'json'] as const;
export type LogFormat = (typeof logFormats)[number];
export type LogLevel = 'error' | 'warn' | 'info';
/** What an entry says beyond its message, by name (never `time`, `level` or `msg`, which every entry has). */
export type LogFields = Readonly<Record<string, string | number | boolean | null>>;
export type Log = (level: LogLevel, msg: string, fields?: LogFields) => void;

/** A text value that needs no quotes: printable ASCII without space, `"` or `=`. Anything else is written as a JSON string, so an entry stays one line. */
const bare = /^[\x21\x23-\x3c\x3e-\x7e]+$/;

/** `name=value` pairs after the message, as a text entry writes them. */
export function textFields(fields: LogFields): string {
  return Object.entries(fields)
    .map(([name, value]) => ` ${name}=${typeof value === 'string' && !bare.test(value) ? JSON.stringify(value) : String(value)}`)
    .join('');
}

/** A log that hands each entry, one line without its newline, to `write`; `nowMs` is the wall clock. */
export function lineLog(format: LogFormat, write: (line: string) => void, nowMs: () => number): Log {
  return (level, msg, fields = {}) => {
    const time = new Date(nowMs()).toISOString();
    write(format === 'json' ? JSON.stringify({ time, level, msg, ...fields }) : `${time} ${level} ${msg}${textFields(fields)}`);
  };
}

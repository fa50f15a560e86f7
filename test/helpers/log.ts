// Reads the terminal's log lines (src/log.ts) back, as an engineer's tool
// would: a text line into its time, level, message and fields, a JSON line
// into its object. Written from the format as README.md states it, not from
// the code that writes it.

export interface LogEntry {
  readonly time: string;
  readonly level: string;
  readonly msg: string;
  readonly fields: Readonly<Record<string, string>>;
}

const textLine = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) (error|warn|info) (.+)$/;
/** A field: ` name=value`, the value bare or a JSON string. */
const field = / ([a-z_]+)=("(?:[^"\\]|\\.)*"|[^\s"]*)/g;

/** A text log line's parts; null when the line is not one (no time, no level, or something after the fields). */
export function parseTextLog(line: string): LogEntry | null {
  const head = textLine.exec(line);
  if (head === null) return null;
  const rest = ` ${head[3] as string}`;
  const first = rest.search(/ [a-z_]+=/);
  const msg = (first < 0 ? rest : rest.slice(0, first)).trim();
  const fields: Record<string, string> = {};
  let consumed = first < 0 ? rest.length : first;
  if (first >= 0) {
    field.lastIndex = first;
    for (let match = field.exec(rest); match !== null && match.index === consumed; match = field.exec(rest)) {
      const value = match[2] as string;
      fields[match[1] as string] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
      consumed = field.lastIndex;
    }
  }
  if (msg === '' || consumed !== rest.length) return null;
  return { time: head[1] as string, level: head[2] as string, msg, fields };
}

/** A JSON log line's object; null when it is not JSON with a time, a level and a message first, in that order. */
export function parseJsonLog(line: string): (Record<string, unknown> & { time: string; level: string; msg: string }) | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entry = value as Record<string, unknown>;
  const [time, level, msg] = Object.keys(entry);
  if (time !== 'time' || level !== 'level' || msg !== 'msg') return null;
  if (typeof entry.time !== 'string' || Number.isNaN(Date.parse(entry.time)) || !['error', 'warn', 'info'].includes(entry.level as string) || typeof entry.msg !== 'string') return null;
  return entry as Record<string, unknown> & { time: string; level: string; msg: string };
}

/** A line the display driver writes (device/display.ts): a border rule, a framed row, or the empty line after a frame. */
export function isScreenLine(line: string): boolean {
  return line === '' || /^\+-+\+$/.test(line) || /^\|.*\|$/.test(line);
}

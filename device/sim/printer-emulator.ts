// An emulated ESC/POS receipt printer (docs/design.md, devices): parses what the
// terminal sends back into printed lines (GB18030 decoded, with alignment,
// emphasis and size), QR codes with their payloads, feeds and cut marks, and
// answers DLE EOT real-time status. Paper out and cover open come on demand,
// or paper runs out after a number of lines, mid-receipt. While the paper is
// out, print data is dropped (a real printer holds it or stops); the driver
// learns of it from the status and the session reprints. Ships in the simulation bundle.
import assert from 'node:assert';
import { Align, QrErrorCorrection, StatusBits, dle, eot, esc, fs, gs, lf, type AlignName } from '../escpos';
import { PortError, type Port } from '../port';

export interface PrintedLine {
  readonly text: string;
  readonly align: AlignName;
  readonly bold: boolean;
  /** Character size multipliers, 1–8. */
  readonly width: number;
  readonly height: number;
}

export type PrinterEvent =
  | { readonly kind: 'line'; readonly line: PrintedLine }
  | { readonly kind: 'feed'; readonly lines: number }
  | { readonly kind: 'qr'; readonly payload: string; readonly moduleDots: number; readonly level: string }
  | { readonly kind: 'cut'; readonly partial: boolean }
  | { readonly kind: 'lost'; readonly what: string }
  | { readonly kind: 'unknown'; readonly bytes: string };

export interface PrinterEmulatorOptions {
  /** Paper runs out after this many printed lines. */
  readonly paperOutAfterLines?: number;
  readonly log?: (line: string) => void;
}

const eventsMax = 10_000;
const lineBytesMax = 1_024;
/** GS ( k carries at most 7,089 bytes of QR data plus its header. */
const commandBytesMax = 8_192;
const alignNames: Record<number, AlignName> = { [Align.left]: 'left', [Align.center]: 'center', [Align.right]: 'right' };
const levelNames: Record<number, string> = Object.fromEntries(Object.entries(QrErrorCorrection).map(([name, n]) => [n, name]));

export class PrinterEmulator {
  /** What was printed, oldest first; the oldest are dropped past 10,000. */
  readonly events: PrinterEvent[] = [];
  paperOut = false;
  coverOpen = false;
  paperNearEnd = false;
  /** Lines left before the paper runs out; null for an endless roll. */
  paperOutAfterLines: number | null;
  readonly stats = { statusQueries: 0, bytes: 0 };
  private readonly rx = new Uint8Array(commandBytesMax);
  private readonly text = new Uint8Array(lineBytesMax);
  private readonly decoder = new TextDecoder('gb18030');
  private textLength = 0;
  private align: AlignName = 'left';
  private bold = false;
  private width = 1;
  private height = 1;
  private qrPayload = '';
  private qrDots = 3;
  private qrLevel = 'L';
  private running: Promise<void> | null = null;
  private readonly log: (line: string) => void;

  constructor(
    private readonly port: Port,
    options: PrinterEmulatorOptions = {},
  ) {
    this.paperOutAfterLines = options.paperOutAfterLines ?? null;
    this.log = options.log ?? (() => {});
  }

  /** The printed lines' text, cut marks as `--- cut ---`, QR codes as `[QR payload]`. */
  transcript(): string[] {
    return this.events.flatMap((event) => {
      if (event.kind === 'line') return [event.line.text];
      if (event.kind === 'qr') return [`[QR ${event.payload}]`];
      if (event.kind === 'cut') return ['--- cut ---'];
      return [];
    });
  }

  start(): void {
    assert(this.running === null, 'an emulator starts once');
    this.running = this.serve();
  }

  async close(): Promise<void> {
    await this.port.close();
    await this.running;
  }

  private async serve(): Promise<void> {
    let length = 0;
    for (;;) {
      let got: number;
      try {
        got = await this.port.read(this.rx.subarray(length));
      } catch (error) {
        if (error instanceof PortError) return;
        throw error;
      }
      // DLE EOT n is a real-time command: a printer answers it as the bytes arrive, even in the middle of
      // another command still coming in (a GS ( k that declared 7,000 bytes), not when the parser reaches it.
      // A sequence completed by these bytes is answered now; the parser then passes over it (see `command`).
      for (let i = Math.max(0, length - 2); i + 2 < length + got; i += 1) {
        if (i + 2 >= length && this.rx[i] === dle && this.rx[i + 1] === eot && (this.rx[i + 2] as number) >= 1 && (this.rx[i + 2] as number) <= 4) await this.answerStatus(this.rx[i + 2] as number);
      }
      length += got;
      let at = 0;
      for (;;) {
        const used = await this.command(at, length);
        if (used === 0) break;
        at += used;
      }
      this.stats.bytes += at;
      length -= at;
      this.rx.copyWithin(0, at, at + length);
      if (length === this.rx.length) {
        // A command longer than any real one: drop it whole.
        this.record({ kind: 'unknown', bytes: `${length} bytes of an overlong command` });
        length = 0;
      }
    }
  }

  /** Runs the command at rx[at]; returns the bytes it used, 0 when it is not all there yet. */
  private async command(at: number, length: number): Promise<number> {
    const rx = this.rx;
    const have = length - at;
    if (have === 0) return 0;
    const byte = rx[at] as number;
    const arg = (i: number) => rx[at + i] as number;
    if (byte >= 0x20) {
      if (this.textLength < this.text.length) this.text[this.textLength++] = byte;
      return 1;
    }
    if (byte === lf) {
      this.printLine();
      return 1;
    }
    if (byte === dle) {
      if (have < 3) return 0;
      if (arg(1) !== eot || arg(2) < 1 || arg(2) > 4) return this.unknown(at, 2);
      // Answered when it arrived (serve): real time, whatever the parser was waiting for.
      return 3;
    }
    if (byte === esc) {
      if (have < 2) return 0;
      const op = arg(1);
      if (op === 0x40) {
        this.resetMode();
        return 2;
      }
      if (have < 3) return 0;
      if (op === 0x61) this.align = alignNames[arg(2) % 48] ?? this.align;
      else if (op === 0x45) this.bold = (arg(2) & 1) === 1;
      else if (op === 0x64) {
        if (this.textLength > 0) this.printLine();
        this.record({ kind: 'feed', lines: arg(2) });
      } else return this.unknown(at, 2);
      return 3;
    }
    if (byte === gs) return this.gsCommand(at, have);
    if (byte === fs) {
      if (have < 2) return 0;
      // FS & and FS .: Chinese character mode on and off. Text is decoded as GB18030 either way.
      return arg(1) === 0x26 || arg(1) === 0x2e ? 2 : this.unknown(at, 2);
    }
    return byte === 0x0d ? 1 : this.unknown(at, 1);
  }

  private gsCommand(at: number, have: number): number {
    const arg = (i: number) => this.rx[at + i] as number;
    if (have < 2) return 0;
    const op = arg(1);
    if (op === 0x21) {
      if (have < 3) return 0;
      this.width = (arg(2) >> 4) + 1;
      this.height = (arg(2) & 0x0f) + 1;
      return 3;
    }
    if (op === 0x56) {
      if (have < 3) return 0;
      const m = arg(2);
      const withFeed = m === 65 || m === 66;
      if (withFeed && have < 4) return 0;
      if (!withFeed && ![0, 1, 48, 49].includes(m)) return this.unknown(at, 3);
      if (this.textLength > 0) this.printLine();
      this.record({ kind: 'cut', partial: m === 1 || m === 49 || m === 66 });
      return withFeed ? 4 : 3;
    }
    if (op === 0x28) {
      if (have < 5) return 0;
      if (arg(2) !== 0x6b) return this.unknown(at, 3);
      const size = arg(3) + 256 * arg(4);
      if (have < 5 + size) return 0;
      this.qrFunction(this.rx.subarray(at + 5, at + 5 + size));
      return 5 + size;
    }
    return this.unknown(at, 2);
  }

  /** GS ( k with cn = 49 (QR code): functions 165, 167, 169, 180, 181. */
  private qrFunction(body: Uint8Array): void {
    const [cn, fn, m] = body as unknown as [number, number, number];
    if (cn !== 0x31 || body.length < 2) return void this.record({ kind: 'unknown', bytes: `GS ( k ${Buffer.from(body.subarray(0, 8)).toString('hex')}` });
    if (fn === 0x41) return; // model
    if (fn === 0x43) this.qrDots = m;
    else if (fn === 0x45) this.qrLevel = levelNames[m] ?? '?';
    else if (fn === 0x50) this.qrPayload = Buffer.from(body.subarray(3)).toString('latin1');
    else if (fn === 0x51) {
      if (this.textLength > 0) this.printLine();
      this.record({ kind: 'qr', payload: this.qrPayload, moduleDots: this.qrDots, level: this.qrLevel });
    } else this.record({ kind: 'unknown', bytes: `GS ( k fn ${fn}` });
  }

  private async answerStatus(n: number): Promise<void> {
    this.stats.statusQueries += 1;
    const stopped = this.paperOut || this.coverOpen;
    let status = StatusBits.fixedValue;
    if (n === 1 && stopped) status |= StatusBits.offline;
    if (n === 2) {
      if (this.coverOpen) status |= StatusBits.coverOpen;
      if (this.paperOut) status |= StatusBits.paperEndStop;
    }
    if (n === 4) {
      if (this.paperNearEnd || this.paperOut) status |= StatusBits.paperNearEnd;
      if (this.paperOut) status |= StatusBits.paperEnd;
    }
    try {
      await this.port.write(Uint8Array.of(status));
    } catch (error) {
      if (!(error instanceof PortError)) throw error;
    }
  }

  private printLine(): void {
    const text = this.decoder.decode(this.text.subarray(0, this.textLength));
    this.textLength = 0;
    if (this.paperOut || this.coverOpen) {
      this.record({ kind: 'lost', what: text });
      return;
    }
    this.record({ kind: 'line', line: { text, align: this.align, bold: this.bold, width: this.width, height: this.height } });
    if (this.paperOutAfterLines !== null) {
      this.paperOutAfterLines -= 1;
      if (this.paperOutAfterLines <= 0) {
        this.paperOutAfterLines = null;
        this.paperOut = true;
        this.log('paper ran out');
      }
    }
  }

  private unknown(at: number, length: number): number {
    this.record({ kind: 'unknown', bytes: Buffer.from(this.rx.subarray(at, at + length)).toString('hex') });
    return length;
  }

  private resetMode(): void {
    this.textLength = 0;
    this.align = 'left';
    this.bold = false;
    this.width = 1;
    this.height = 1;
  }

  private record(event: PrinterEvent): void {
    if (this.events.length === eventsMax) this.events.shift();
    this.events.push(event);
    this.log(describe(event));
  }
}

/** One line a tester reads on the emulator's output. */
export function describe(event: PrinterEvent): string {
  switch (event.kind) {
    case 'line': {
      const { text, align, bold, width, height } = event.line;
      const marks = [align === 'left' ? '' : align, bold ? 'bold' : '', width > 1 || height > 1 ? `${width}x${height}` : ''].filter(Boolean);
      return `| ${text}${marks.length > 0 ? `    (${marks.join(', ')})` : ''}`;
    }
    case 'feed':
      return `| (feed ${event.lines})`;
    case 'qr':
      return `[QR ${event.level} ${event.moduleDots}] ${event.payload}`;
    case 'cut':
      return `--- cut (${event.partial ? 'partial' : 'full'}) ---`;
    case 'lost':
      return `! not printed (no paper or cover open): ${event.what}`;
    case 'unknown':
      return `? unknown command ${event.bytes}`;
  }
}

// `settle-terminal probe card-reader|qr-scanner|printer --port PATH …`: a
// field engineer's check of one peripheral with the firmware's own drivers,
// on the real serial binding: is a card there and what does it say, does the
// scanner deliver a token, what does the printer report (and print a test
// receipt). The port opens with the frame `--data-bits --parity --stop-bits
// --flow` give (8N1 without flow control when absent), checked by the
// profile's own rows (src/profile.ts, serialFrame): what a profile refuses for
// a device, probe refuses too. Exit 0 when the device answered well, 1 with the failure's stable
// code when it answered with a failure, 2 for bad usage.
import { realBinding } from './binding';
import { CardProbe } from '../../device/card-probe';
import { ReceiptBuilder } from '../../device/escpos';
import { Gb18030Encoder } from '../../device/gb18030';
import { garbage, systemClock, type DeviceError, type Result, type SerialFrame } from '../../device/port';
import { ReceiptPrinter } from '../../device/printer';
import { QrScanner } from '../../device/qr-scanner';
import { StreamPort } from '../../device/stream-port';
import { ProfileError, serialFrame, type PortName } from '../profile';
import { exitNegative, exitOk, exitUsage, parseCommandArgs, UsageError, writeOut, type CliIo, type Command, type Syntax } from './command';
import { parseBaud } from './input';
// The ID number masked as the screens and the receipt mask it: 110105********002X.
import { maskId } from '../session/text';

const kinds = ['card-reader', 'qr-scanner', 'printer'] as const;


async function probeCardReader(port: StreamPort, pin: string | undefined, say: (line: string) => Promise<void>): Promise<Result<unknown>> {
  const reader = new CardProbe(port, { clock: systemClock });
  const presence = await reader.presence();
  if (!presence.ok) return presence;
  await say(`card: ${presence.value}`);
  if (presence.value === 'absent') return presence;
  if (pin === undefined) {
    const atr = await reader.powerOn();
    if (!atr.ok) return atr;
    await say(`atr: ${Buffer.from(atr.value).toString('hex')}`);
    return reader.powerOff();
  }
  const credential = await reader.readCredential(pin);
  if (!credential.ok) return credential;
  const { name, cardNumber, idNumber, areaCode, cardSerial } = credential.value;
  await say(`name: ${name}\ncard number: ${cardNumber}\nid number: ${maskId(idNumber)}\narea code: ${areaCode}\ncard serial: ${cardSerial}`);
  return credential;
}

async function probePrinter(port: StreamPort, testPrint: boolean, say: (line: string) => Promise<void>): Promise<Result<unknown>> {
  const printer = new ReceiptPrinter(port, { clock: systemClock });
  const status = await printer.status();
  if (!status.ok) return status;
  const { coverOpen, paperOut, paperNearEnd, error } = status.value;
  await say(`printer: cover ${coverOpen ? 'open' : 'closed'}, paper ${paperOut ? 'out' : paperNearEnd ? 'near end' : 'ok'}${error ? ', error' : ''}`);
  if (!testPrint) return status;
  const job = new ReceiptBuilder(new Gb18030Encoder(), 1_024)
    .init()
    .align('center')
    .bold(true)
    .size(2, 2)
    .line('打印测试')
    .size(1, 1)
    .bold(false)
    .line('settle-terminal probe')
    .qr('ECT1:PROBE-TEST-PRINT-0001')
    .cut()
    .finish();
  if (!job.ok) return job;
  const printed = await printer.print(job.value);
  if (printed.ok) await say(`test receipt printed (${printed.value.bytes} bytes)`);
  return printed;
}

const probeSyntax = {
  synopsis: 'probe card-reader|qr-scanner|printer --port PATH [flags]',
  flags: {
    port: { value: 'PATH', help: 'the serial device, e.g. /dev/ttyUSB0' },
    baud: { value: 'N', help: 'line speed, 300 to 4000000 (default 115200)' },
    'data-bits': { value: '7|8', help: 'default 8; 7 only for the qr-scanner (the frame as a profile port takes it)' },
    parity: { value: 'none|even|odd', help: 'default none' },
    'stop-bits': { value: '1|2', help: 'default 1' },
    flow: { value: 'none|rts_cts|xon_xoff', help: 'flow control, default none' },
    pin: { value: 'PIN', help: 'card-reader: read the credential with it (else presence and ATR)' },
    'wait-ms': { value: 'N', help: 'qr-scanner: wait for one token (default 10000)' },
    'test-print': { help: 'printer: print a test receipt after the status' },
  },
  positionalsMax: 1,
} as const satisfies Syntax;

/** A whole-number frame flag as the profile's JSON number (anything else stays text, which the profile's check refuses). */
const numeric = (text: string | undefined): unknown => (text !== undefined && /^[0-9]{1,2}$/.test(text) ? Number(text) : text);

async function runProbe(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, probeSyntax);
  const kind = positionals[0];
  if (kind === undefined || !(kinds as readonly string[]).includes(kind)) throw new UsageError(`the device must be one of ${kinds.join(', ')}, got '${kind ?? ''}'`);
  if (values.port === undefined || values.port === '') throw new UsageError('--port PATH is required');
  if (values.pin !== undefined && (kind !== 'card-reader' || !/^[0-9]{4,12}$/.test(values.pin))) throw new UsageError('--pin is 4 to 12 digits, for the card-reader');
  const waitText = values['wait-ms'];
  if (waitText !== undefined && (kind !== 'qr-scanner' || !/^[0-9]{1,7}$/.test(waitText))) throw new UsageError('--wait-ms is a whole number of ms, for the qr-scanner');
  if (values['test-print'] && kind !== 'printer') throw new UsageError('--test-print is for the printer');
  let frame: SerialFrame;
  try {
    frame = serialFrame(
      { data_bits: numeric(values['data-bits']), parity: values.parity, stop_bits: numeric(values['stop-bits']), flow: values.flow },
      (field) => `--${field.replace('_', '-')}`,
      kind.replace('-', '_') as PortName,
    );
  } catch (error) {
    if (error instanceof ProfileError) throw new UsageError(error.detail);
    throw error;
  }
  const port = new StreamPort({ binding: realBinding(), path: values.port, baudRate: parseBaud(values.baud), frame });
  try {
    await port.open();
  } catch (error) {
    await writeOut(io.stderr, `settle-terminal probe: port_unavailable: ${(error as Error).message}\n`);
    return exitUsage;
  }
  const say = (line: string) => writeOut(io.stdout, `${line}\n`);
  let result: Result<unknown>;
  try {
    if (kind === 'card-reader') result = await probeCardReader(port, values.pin, say);
    else if (kind === 'printer') result = await probePrinter(port, values['test-print'] === true, say);
    else {
      const scanner = new QrScanner(port, { clock: systemClock });
      const token = await scanner.next(Number(waitText ?? 10_000));
      if (token.ok) await say(`token: ${token.value.token}`);
      const { rejected, overlong } = scanner.stats;
      // Lines came but none held a token: the scanner answered, with garbage; no line at all is a timeout.
      result = token.ok || token.error.code !== 'timeout' || !(rejected + overlong) ? token : garbage(`${rejected} lines, ${overlong} over-long`);
    }
  } finally {
    await port.close();
  }
  if (result.ok) return exitOk;
  const error: DeviceError = result.error;
  await writeOut(io.stderr, `settle-terminal probe: ${error.code}: ${error.message}\n`);
  return exitNegative;
}


export const probeCommand: Command = {
  name: 'probe',
  summary: 'check a card reader, QR scanner or printer with the drivers',
  syntax: [probeSyntax],
  run: runProbe,
};

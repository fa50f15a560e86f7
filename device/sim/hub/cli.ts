// `settle-sim hub …`: the reference hub's commands, in the simulation bundle
// (`hubCommand` passes in the binding, the signals and the clock). Every
// input is checked strictly: a bad one is one line `hub: CODE: …` and exit 2.
//
//   hub init --state DIR
//   hub serve --state DIR (--port PATH [--baud N] | --listen HOST:PORT) [--offline-floor FEN] [--session-hours H]
//             [--connections-max N] [--connections-per-address N] [--sign-in-seconds S]
//   hub generate --state DIR --persons N --seed S [--bills-per-person K] [--terminals M] [--date YYYY-MM-DD]
//   hub enroll --state DIR --terminal ID --institution CODE --pub HEX64 [--role kiosk|counter]
//   hub clearing --state DIR --month YYYY-MM
//   hub audit --state DIR
//   hub show --state DIR [--person PSN_NO]
//   hub national-sim --state DIR --listen HOST:PORT --config FILE
//   hub gateway --state DIR --config FILE (--port PATH [--baud N] | --listen HOST:PORT) [--db PATH|postgres://...] [serve's flags]
// clearing, audit and show only read: they never create, seed or repair a
// state directory (a missing one is `state_missing`). `serve` survives
// whatever its peers do: connection limits, and an unhandled rejection is
// logged and counted (`unhandled` in the stop line), never fatal.
import { createServer, type Server } from 'node:net';
import { parseArgs } from 'node:util';
import type { BindingInterface } from '@serialport/bindings-cpp';
import { bytesToHex, hexToBytes } from '../../../protocol/crypto';
import { terminalId } from '../../../protocol/messages';
import { fromWire } from '../../../protocol/schema';
import { realBinding } from '../../../src/cli/binding';
import { parseOptions, type CliIo } from '../../../src/cli/command';
import { chinaDate } from '../../../src/journal/recon';
import { SocketPort } from '../socket-port';
import { StreamPort } from '../../stream-port';
import path from 'node:path';
import { ConfigError, parseGatewayConfig } from '../../../gateway/config';
import { GatewayStartError, startGateway, type Gateway } from '../../../gateway/gateway';
import { describeStore, openStore, StoreError, type SqlStore } from '../../../gateway/store';
import { nationalSimCommand, NationalSimUsage, readConfigFile } from '../national/cli';
import { clearingReport } from './clearing';
import { HubStateLocked, HubStateMissing, ReferenceHub } from './hub';
import { hubSyntax } from '../usage';
import { billsPerPersonMax, connectionsMax, pendingConnectionsPerAddressMax, populationPersonsMax, signInDeadlineMs, terminalsMax } from './limits';

export interface HubCliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** The serial binding, for `serve --port` only (loaded when asked for). */
  binding(): BindingInterface;
  /** Aborting it stops `serve`. */
  readonly signal: AbortSignal;
  /** Wall-clock seconds (passed in: tests run the hub on their own clock). */
  timeS(): number;
}

class HubUsage extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const usage = Object.values(hubSyntax).map((syntax) => syntax.synopsis).join('\n');

function integer(name: string, text: string | undefined, min: number, max: number, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw new HubUsage('usage', `--${name} is required`);
    return fallback;
  }
  if (!/^[0-9]{1,15}$/.test(text) || Number(text) < min || Number(text) > max) throw new HubUsage('usage', `--${name} must be an integer from ${min} to ${max}, got '${text}'`);
  return Number(text);
}

function required(name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new HubUsage('usage', `--${name} is required`);
  return value;
}


/** Runs one `hub` command; resolves to the exit code. */
export async function runHub(args: readonly string[], io: HubCliIo): Promise<number> {
  const say = (line: string) => io.stdout.write(`${line}\n`);
  try {
    const [command, ...rest] = args;
    if (command === undefined || !Object.hasOwn(hubSyntax, command)) throw new HubUsage('usage', `unknown hub command '${command ?? ''}'`);
    // Each command takes its own flags (device/sim/usage.ts, hubSyntax), which its --help lists.
    let values: Readonly<Partial<Record<string, string>>>;
    try {
      values = parseArgs({ args: rest, options: parseOptions(hubSyntax[command as keyof typeof hubSyntax].flags), strict: true, allowPositionals: false }).values as Partial<Record<string, string>>;
    } catch (error) {
      throw new HubUsage('usage', (error as Error).message.split('\n')[0] as string);
    }
    const dir = required('state', values.state);
    const log = (line: string) => io.stderr.write(`${line}\n`);
    const open = () => ReferenceHub.open({ dir, timeS: io.timeS, log, ...hubSettings(values) });
    // What only reads opens read-only: a missing directory is refused, never created.
    const read = () => ReferenceHub.open({ dir, timeS: io.timeS, log, readOnly: true, ...hubSettings(values) });
    switch (command) {
      case 'init': {
        const hub = open();
        try {
          say(JSON.stringify(hub.summary()));
          return 0;
        } finally {
          await hub.close();
        }
      }
      case 'national-sim':
        return await nationalSimCommand(open(), values, io, say);
      case 'serve':
        return await serve(ReferenceHub.open({ dir, timeS: io.timeS, log, connectionLimits: connectionLimits(values), ...hubSettings(values) }), values, io, say);
      case 'gateway': {
        // Flags first, then the configuration, the journal (recovering what a previous run left) and the hub.
        const limits = connectionLimits(values);
        const settings = hubSettings(values);
        if ((values.port === undefined) === (values.listen === undefined)) throw new HubUsage('usage', 'give one of --port PATH or --listen HOST:PORT');
        const config = parseGatewayConfig(readConfigFile(required('config', values.config)));
        const nowMs = () => io.timeS() * 1_000 + (Date.now() % 1_000);
        // The hub first: its lock keeps a second gateway off this state directory (and so off its PGlite journal).
        let forward: Gateway['handler'] | null = null;
        const hub = ReferenceHub.open({ dir, timeS: io.timeS, log, connectionLimits: limits, handler: (...args) => (forward as Gateway['handler'])(...args), ...settings });
        let store: SqlStore | null = null;
        let started: Gateway;
        try {
          store = await openStore(values.db ?? path.join(dir, 'gateway-db'), log);
          started = await startGateway(config, store, { nowMs });
          forward = started.handler;
        } catch (error) {
          await store?.close();
          await hub.close();
          throw error;
        }
        const opened = store;
        say(`gateway: national interface ${config.url}, ${config.institutions.size} institutions, journal ${describeStore(values.db ?? path.join(dir, 'gateway-db'))}; ${started.recovered} unanswered 2207 resolved, ${started.unresolved} left`);
        return await serve(hub, values, io, say, { name: 'gateway', figures: () => started.gateway.figures, close: () => opened.close() });
      }
      case 'generate': {
        const hub = open();
        try {
          const seed = integer('seed', values.seed, 0, 0xffff_ffff);
          const persons = integer('persons', values.persons, 1, populationPersonsMax);
          const bills = integer('bills-per-person', values['bills-per-person'], 1, billsPerPersonMax, 4);
          const terminals = integer('terminals', values.terminals, 0, terminalsMax, 0);
          const date = values.date ?? chinaDate(io.timeS());
          if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(date) || Number.isNaN(Date.parse(date))) throw new HubUsage('usage', `--date must be YYYY-MM-DD, got '${date}'`);
          const ids = hub.generate(seed, persons, bills, date, terminals);
          say(JSON.stringify({ seed, persons, bills_per_person: bills, date, terminals: ids }));
          return 0;
        } finally {
          await hub.close();
        }
      }
      case 'enroll': {
        const id = required('terminal', values.terminal);
        try {
          fromWire(terminalId, id, 'terminal');
        } catch {
          throw new HubUsage('usage', '--terminal must be 1 to 32 of A-Z, a-z, 0-9, _ and -');
        }
        let key: Uint8Array;
        try {
          key = hexToBytes(required('pub', values.pub), 32, '--pub');
        } catch (error) {
          throw new HubUsage('usage', (error as Error).message);
        }
        const role = values.role ?? 'kiosk';
        if (role !== 'kiosk' && role !== 'counter') throw new HubUsage('usage', `--role must be kiosk or counter, got '${role}'`);
        const hub = open();
        try {
          const institution = required('institution', values.institution);
          if (!hub.state.institutions.has(institution)) throw new HubUsage('unknown_institution', `${institution} is not an institution this hub knows`);
          if (hub.state.terminals.has(id)) throw new HubUsage('terminal_exists', `${id} is enrolled`);
          if (hub.state.terminalByKid(key.subarray(0, 8)) !== undefined) throw new HubUsage('key_taken', 'another terminal has a key with that key id');
          hub.enroll(id, key, institution, role);
          say(JSON.stringify({ terminal: id, institution, role, hub_key: bytesToHex(hub.publicKey) }));
          return 0;
        } finally {
          await hub.close();
        }
      }
      case 'clearing': {
        const month = required('month', values.month);
        if (!/^[0-9]{4}-(0[1-9]|1[0-2])$/.test(month)) throw new HubUsage('usage', `--month must be YYYY-MM, got '${month}'`);
        const hub = read();
        try {
          say(JSON.stringify(clearingReport(hub.state, month)));
          return 0;
        } finally {
          await hub.close();
        }
      }
      case 'audit': {
        const hub = read();
        try {
          for (const refusal of hub.state.refusals) say(JSON.stringify(refusal, (_key, value) => (value instanceof Uint8Array ? bytesToHex(value) : value)));
          return 0;
        } finally {
          await hub.close();
        }
      }
      case 'show': {
        const hub = read();
        try {
          if (values.person !== undefined) {
            const person = hub.state.person(values.person);
            if (person === undefined) throw new HubUsage('person_not_found', values.person);
            say(JSON.stringify(person));
          } else {
            say(JSON.stringify(hub.summary()));
          }
          return 0;
        } finally {
          await hub.close();
        }
      }
      default:
        throw new HubUsage('usage', `unknown hub command '${command ?? ''}'`);
    }
  } catch (error) {
    if (error instanceof HubUsage) {
      io.stderr.write(`hub: ${error.code}: ${error.message}\nusage:\n${usage}\n`);
      return 2;
    }
    if (error instanceof HubStateLocked || error instanceof HubStateMissing || error instanceof ConfigError || error instanceof NationalSimUsage || error instanceof GatewayStartError || error instanceof StoreError) {
      io.stderr.write(`hub: ${error.code}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

function connectionLimits(values: { 'connections-max'?: string; 'connections-per-address'?: string; 'sign-in-seconds'?: string }) {
  const perAddress = integer('connections-per-address', values['connections-per-address'], 1, connectionsMax, pendingConnectionsPerAddressMax);
  return {
    connectionsMax: integer('connections-max', values['connections-max'], 1, connectionsMax, connectionsMax),
    pendingPerAddressMax: perAddress,
    signInDeadlineMs: integer('sign-in-seconds', values['sign-in-seconds'], 1, 600, signInDeadlineMs / 1_000) * 1_000,
  };
}

/**
 * While `serve` runs, a promise rejected with no handler (a bug: every path a
 * peer reaches answers with a typed refusal) is logged and counted, and the
 * hub goes on; Node would otherwise end the process. Returns the uninstaller.
 */
export function guardUnhandled(stats: { unhandled: number }, log: (line: string) => void): () => void {
  const onRejection = (reason: unknown) => {
    stats.unhandled += 1;
    log(`hub: unhandled rejection (${stats.unhandled}): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  };
  process.on('unhandledRejection', onRejection);
  return () => process.off('unhandledRejection', onRejection);
}

function hubSettings(values: { 'offline-floor'?: string; 'session-hours'?: string }) {
  return {
    offlineFloorFen: integer('offline-floor', values['offline-floor'], 0, 100_000_000_000, 50_000),
    sessionLifetimeSeconds: integer('session-hours', values['session-hours'], 1, 24 * 30, 12) * 3_600,
  };
}

/** What `serve` says and closes besides the hub: `hub gateway` names itself, adds its figures and closes its journal. */
interface ServeAs {
  readonly name: string;
  figures(): object;
  close(): Promise<void>;
}
const plainHub: ServeAs = { name: 'hub', figures: () => ({}), close: async () => undefined };

async function serve(hub: ReferenceHub, values: { port?: string; baud?: string; listen?: string }, io: HubCliIo, say: (line: string) => void, as: ServeAs = plainHub): Promise<number> {
  let server: Server | null = null;
  const survived = { unhandled: 0, serverErrors: 0 };
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const unguard = guardUnhandled(survived, log);
  try {
    if ((values.port === undefined) === (values.listen === undefined)) throw new HubUsage('usage', 'give one of --port PATH or --listen HOST:PORT');
    if (values.port !== undefined) {
      const port = new StreamPort({ binding: io.binding(), path: values.port, baudRate: integer('baud', values.baud, 300, 4_000_000, 115_200) });
      try {
        await port.open();
      } catch (error) {
        throw new HubUsage('port_unavailable', (error as Error).message);
      }
      say(`${as.name}: serving on ${values.port}; key ${bytesToHex(hub.publicKey)}`);
      void hub.serve(port);
    } else {
      const match = /^([0-9.]+|localhost|\[[0-9a-f:]+\]):([0-9]{1,5})$/.exec(values.listen as string);
      if (match === null || Number(match[2]) > 65_535) throw new HubUsage('usage', `--listen must be HOST:PORT, got '${values.listen}'`);
      // Every connection goes to the hub, which holds it to the connection limits (or closes it at once).
      const listening = createServer((socket) => void hub.serve(new SocketPort(socket), { address: socket.remoteAddress ?? '?' }));
      server = listening;
      await new Promise<void>((resolve, reject) => {
        listening.once('error', (error) => reject(new HubUsage('listen_failed', error.message)));
        // A backlog as deep as the connections served: a burst of connections waits for the hub to take and judge them.
        listening.listen({ port: Number(match[2]), host: (match[1] as string).replace(/^\[|\]$/g, ''), backlog: connectionsMax }, () => resolve());
      });
      // After listening, a failed accept (out of descriptors, say) is logged and counted; the server goes on.
      listening.on('error', (error) => {
        survived.serverErrors += 1;
        log(`hub: accept failed (${survived.serverErrors}): ${error.message}`);
      });
      const address = listening.address();
      const where = typeof address === 'object' && address !== null ? `${address.address}:${address.port}` : String(address);
      say(`${as.name}: listening on ${where}; key ${bytesToHex(hub.publicKey)}`);
    }
    await new Promise<void>((resolve) => (io.signal.aborted ? resolve() : io.signal.addEventListener('abort', () => resolve(), { once: true })));
    return 0;
  } finally {
    server?.close();
    await hub.close();
    await as.close();
    unguard();
    say(`${as.name}: stopped; ${JSON.stringify({ ...hub.stats, ...survived, ...as.figures() })}`);
  }
}

/** `hub …` on the process: the real binding, SIGINT and SIGTERM stop `serve`, the wall clock. */
export async function runHubOnProcess(args: readonly string[], io: CliIo): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await runHub(args, { stdout: io.stdout, stderr: io.stderr, binding: realBinding, signal: controller.signal, timeS: () => Math.floor(Date.now() / 1_000) });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

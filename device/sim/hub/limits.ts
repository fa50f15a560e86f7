// Limits of the reference hub (docs/conventions.md habit 3). The hub is a tool, outside
// the firmware; the terminal's own limits are in src/ (the hub client's and
// the journal's limits modules), which this module reads and checks against.
import assert from 'node:assert';
import * as client from '../../../src/hub/limits';
import * as journal from '../../../src/journal/limits';
import * as wire from '../../../protocol/limits';

/** How long a hub session lasts before the terminal must sign in again, s. */
export const sessionLifetimeSeconds = 12 * 3_600;
/** Fee lines in one bill-query page. */
export const billPageLines = wire.feeLinesPerMessageMax;
/** Bytes read from a connection at once (a buffer per connection: small, so thousands of connections cost little). */
export const readBytes = 16_384;
/** Bytes of one catalogue or policy-book chunk the hub sends. */
export const chunkBytes = wire.chunkBytesMax;
/** The hub's state log: a database, not a ring; large enough for a long load run, bytes. */
export const stateLogBytesMax = 8 * 1_024 * 1_048_576;
/** Catalogue or policy-book versions kept open in memory at once (the rest are on disk). */
export const openVersionsMax = 16;
/** Delta update blobs kept in memory. */
export const cachedDeltasMax = 64;
/** Terminals one hub knows. */
export const terminalsMax = 100_000;
/** Persons a synthetic population may hold. */
export const populationPersonsMax = 10_000_000;
/** Pending bills per synthetic person. */
export const billsPerPersonMax = 10_000;
/** Reconciliation-detail pages the hub holds for one terminal's period in progress. */
export const reconPagesMax = 1_024;
/** Connections a hub serves at once; the newest beyond it is closed at once. */
export const connectionsMax = 4_096;
/**
 * Connections from one network address that have not yet carried a request
 * signed by an enrolled terminal; the newest beyond it is closed at once.
 * Kiosks behind one NAT count here only until their first signed request.
 */
export const pendingConnectionsPerAddressMax = 64;
/** A network connection must carry a new request signed by an enrolled terminal within this, or it is closed, ms. */
export const signInDeadlineMs = 10_000;
/** Frames refused on a network connection that has carried no signed request; past it the connection is closed. */
export const refusedFramesPerConnectionMax = 32;

assert(chunkBytes <= wire.chunkBytesMax && chunkBytes > 0, 'a chunk fits the wire');
assert(billPageLines <= wire.feeLinesPerMessageMax, 'a bill page fits one message');
assert(sessionLifetimeSeconds > (client.hubHeartbeatIntervalMs / 1_000) * 4, 'a session outlives several heartbeats');
assert(stateLogBytesMax >= journal.journalRecordBytesMax * 64, 'the state log holds many of the largest records');
assert(reconPagesMax * wire.reconEntriesPerMessageMax >= 100_000, 'a busy terminal-day of detail fits');
assert(pendingConnectionsPerAddressMax >= 1 && pendingConnectionsPerAddressMax <= connectionsMax, 'one address never takes every connection');
assert(signInDeadlineMs > client.hubRequestTimeoutMs, 'a terminal signs in within the deadline');

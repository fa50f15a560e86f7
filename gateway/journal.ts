// The gateway's journal of the national settlements it sends (2207): each
// row is written before the call
// goes out (its msgid, infno, visit, person and request) and completed with
// the answer (done or refused, and what came back), so that a call left
// without an answer (a timeout, a dropped connection, a crash of the gateway)
// is known and resolved exactly once: 5203 tells whether the platform holds
// the settlement under that msgid, and if not, a 2601 of that msgid fences it
// (the platform then settles nothing under it, whenever it arrives). The
// store is a real SQL database (gateway/store.ts): PGlite embedded, or a
// PostgreSQL server, with the same schema.
import type { SqlStore } from './store';

/** Where a journalled call stands. */
export type CallState = 'sent' | 'done' | 'refused' | 'adopted' | 'fenced';

export interface CallRow {
  readonly msgid: string;
  readonly infno: string;
  readonly mdtrt_id: string;
  readonly psn_no: string;
  readonly state: CallState;
  readonly request: string;
  readonly answer: string | null;
  readonly setl_id: string | null;
}

/** The schema, run at every open (idempotent). */
export const journalSchema = `
CREATE TABLE IF NOT EXISTS national_call (
  msgid      text PRIMARY KEY CHECK (length(msgid) = 30),
  infno      text NOT NULL CHECK (infno = '2207'),
  mdtrt_id   text NOT NULL,
  psn_no     text NOT NULL,
  state      text NOT NULL CHECK (state IN ('sent', 'done', 'refused', 'adopted', 'fenced')),
  request    text NOT NULL,
  answer     text,
  setl_id    text,
  sent_ms    bigint NOT NULL,
  settled_ms bigint
);
CREATE INDEX IF NOT EXISTS national_call_open ON national_call (state) WHERE state = 'sent';
`;

export class CallJournal {
  private constructor(private readonly store: SqlStore) {}

  static async open(store: SqlStore): Promise<CallJournal> {
    await store.exec(journalSchema);
    return new CallJournal(store);
  }

  /** Records a call about to go out; a msgid is never recorded twice (the primary key refuses it). */
  async sent(row: { msgid: string; infno: string; mdtrt_id: string; psn_no: string; request: string }, nowMs: number): Promise<void> {
    await this.store.query('INSERT INTO national_call (msgid, infno, mdtrt_id, psn_no, state, request, sent_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)', [row.msgid, row.infno, row.mdtrt_id, row.psn_no, 'sent', row.request, nowMs]);
  }

  /** Completes a call: its answer, or how its silence was resolved. Only a call still `sent` moves (exactly once). */
  async settle(msgid: string, state: Exclude<CallState, 'sent'>, answer: string, setlId: string | null, nowMs: number): Promise<boolean> {
    const rows = await this.store.query("UPDATE national_call SET state = $2, answer = $3, setl_id = $4, settled_ms = $5 WHERE msgid = $1 AND state = 'sent' RETURNING msgid", [msgid, state, answer, setlId, nowMs]);
    return rows.length === 1;
  }

  /** Calls sent and never answered nor resolved, oldest first. */
  async unresolved(): Promise<CallRow[]> {
    return (await this.store.query("SELECT msgid, infno, mdtrt_id, psn_no, state, request, answer, setl_id FROM national_call WHERE state = 'sent' ORDER BY sent_ms, msgid", [])) as unknown as CallRow[];
  }

  async row(msgid: string): Promise<CallRow | undefined> {
    return (await this.store.query('SELECT msgid, infno, mdtrt_id, psn_no, state, request, answer, setl_id FROM national_call WHERE msgid = $1', [msgid]))[0] as CallRow | undefined;
  }

  /** The 2207 that settled `setlId` (done or adopted), for a later 2601 or 2208. */
  async settleOf(setlId: string): Promise<CallRow | undefined> {
    return (await this.store.query("SELECT msgid, infno, mdtrt_id, psn_no, state, request, answer, setl_id FROM national_call WHERE infno = '2207' AND setl_id = $1 AND state IN ('done', 'adopted')", [setlId]))[0] as CallRow | undefined;
  }

  /** The newest msgid recorded (of one institution, when its code is given), so msgids resume after it. */
  async lastMsgid(fixmedinsCode?: string): Promise<string | null> {
    const rows =
      fixmedinsCode === undefined
        ? await this.store.query('SELECT msgid FROM national_call ORDER BY msgid DESC LIMIT 1', [])
        : await this.store.query('SELECT msgid FROM national_call WHERE substr(msgid, 1, $2) = $1 ORDER BY msgid DESC LIMIT 1', [fixmedinsCode, fixmedinsCode.length]);
    return (rows[0]?.msgid as string | undefined) ?? null;
  }

  /** Every row, oldest first (tests, `hub gateway` figures). */
  async all(): Promise<CallRow[]> {
    return (await this.store.query('SELECT msgid, infno, mdtrt_id, psn_no, state, request, answer, setl_id FROM national_call ORDER BY sent_ms, msgid', [])) as unknown as CallRow[];
  }
}

// End-of-day reconciliation (3201, 3202) for the hub client's `reconcile`:
// totals by fund type first, then the detail pages when they differ; on
// agreement the days that are over are journaled as reconciled and the
// journal rotates (their entries leave it). It runs under the client's lock,
// with the client's own queries. It runs once a day, while nobody waits.
import { reconEntriesPerMessageMax } from '../../protocol/limits';
import type { BodyOf, ReconTotals } from '../../protocol/messages';
import type { TerminalJournal } from '../journal/journal';
import { chinaDate, periodEntries, periodTotals } from '../journal/recon';

type Reply<N extends 'recon_totals' | 'recon_detail'> = { readonly ok: true; readonly value: BodyOf<`${N}_reply`> } | { readonly ok: false; readonly error: { readonly code: string; readonly detail: string } };

export interface ReconcileContext {
  query<N extends 'recon_totals' | 'recon_detail'>(type: N, body: BodyOf<N>): Promise<Reply<N>>;
  readonly journal: TerminalJournal;
  /** The terminal's time, seconds (the hub's, as of sign-in). */
  nowS(): number;
  /** Rotates the journal; a failure leaves it whole, to try again next time. */
  rotate(): void;
}

export type Reconciled = { readonly agree: boolean; readonly hub: ReconTotals; readonly mismatches: BodyOf<'recon_detail_reply'>['mismatches'] };

export async function reconcileWith(
  context: ReconcileContext,
  begin: string,
  end: string,
): Promise<{ readonly ok: true; readonly value: Reconciled } | { readonly ok: false; readonly error: { readonly code: string; readonly detail: string } }> {
  const items = [...context.journal.reconItems()];
  const totals = await context.query('recon_totals', { totals: periodTotals(items, begin, end) });
  if (!totals.ok) return totals;
  const mismatches: Reconciled['mismatches'] = [];
  const entries = totals.value.agree ? null : periodEntries(items, begin, end);
  for (let page = 0; entries && (page === 0 || page * reconEntriesPerMessageMax < entries.length); page += 1) {
    const slice = entries.slice(page * reconEntriesPerMessageMax, (page + 1) * reconEntriesPerMessageMax);
    const detail = await context.query('recon_detail', { stmt_begndate: begin, stmt_enddate: end, page, last: (page + 1) * reconEntriesPerMessageMax >= entries.length, entries: slice });
    if (!detail.ok) return detail;
    mismatches.push(...detail.value.mismatches);
  }
  const agree = totals.value.agree;
  if (agree) {
    // Today stays open (more settlements may come): only days that are over are closed.
    const today = chinaDate(context.nowS());
    context.journal.commit({ kind: 'reconciled', date: end < today ? end : chinaDate(context.nowS() - 86_400) });
    context.rotate();
  }
  return { ok: true, value: { agree, hub: totals.value.hub, mismatches } };
}

// The terminal's session as data (issue 8; docs/design.md, one settlement end to
// end): the states a patient passes through, and for each state where every
// event leads. The control flow on top (session.ts) performs a state's work,
// which yields one event, and looks the next state up here; an event a state
// does not list is a bug (an assert), never a guess.
//
//   idle ──card──▶ pin ──pin──▶ card ──read──▶ person ──found──▶ bill ──found──▶ review ─ok─▶ confirm ─ok─▶ settle
//     │                         └─retry─▶ pin                     offer ▼   found ▲ └─next─▶ review         │
//     │                                                               filing ─────┘                          │
//     └──qr───────────────────────────────────▶ person                                          confirmed/offline
//                                                                                                          ▼
//   message ◀── refused / timeout / cancel (from any state before print)      done ◀──printed── print
//
// Every state has a timeout and a cancel path. Before `settle` neither sends
// anything that charges, so both end in `message` with nothing charged. In
// `settle` the request is already out: a timeout is the client's (its
// reversal is queued), a cancel is carried out once the hub answers (a
// confirmed settlement is cancelled, 2208). From `print` on the patient has
// confirmed and the hub has settled: the settlement stands, a timeout or a
// cancel only moves the screen on (the receipt is kept for a reprint).
// `filing` (issue 16) offers a temporary filing to a patient the bill was
// refused for want of one: `ok` files it at the hub (no charge), and the bill
// is priced again with it; a cancel or timeout files nothing.
export const states = ['idle', 'pin', 'card', 'person', 'bill', 'filing', 'review', 'confirm', 'settle', 'print', 'done', 'message'] as const;
export type State = (typeof states)[number];

export type Event =
  | 'card' // a card is in the slot
  | 'qr' // an e-certificate was scanned
  | 'pin' // the patient entered a PIN
  | 'read' // the card gave its credential
  | 'retry' // wrong PIN, tries left
  | 'found' // the hub gave the person, or the bill (and the terminal settled it locally)
  | 'offer' // the bill wants a filing the patient may make here
  | 'next' // the patient turned a page
  | 'ok' // the patient went on (or, idle, a redraw)
  | 'confirmed' // the hub confirmed the settlement
  | 'offline' // settled offline, under the floor limit: an advice waits for upload
  | 'refused' // a refusal or a failure with a code: shown as a plain message
  | 'printed'
  | 'timeout'
  | 'cancel';

const end = { refused: 'message', timeout: 'message', cancel: 'message' } as const;

/** Where each event leads from each state. */
export const transitions: { readonly [S in State]: { readonly [E in Event]?: State } } = {
  idle: { card: 'pin', qr: 'person', ok: 'idle', timeout: 'idle', cancel: 'idle' },
  pin: { pin: 'card', ...end },
  card: { read: 'person', retry: 'pin', ...end },
  person: { found: 'bill', ...end },
  bill: { found: 'review', offer: 'filing', ...end },
  filing: { found: 'review', ...end },
  review: { next: 'review', ok: 'confirm', ...end },
  confirm: { ok: 'settle', ...end },
  settle: { confirmed: 'print', offline: 'print', ...end },
  print: { printed: 'done', refused: 'done', timeout: 'done', cancel: 'done' },
  done: { ok: 'idle', timeout: 'idle', cancel: 'idle' },
  message: { ok: 'idle', timeout: 'idle', cancel: 'idle' },
};

/** The next state, or undefined when the state does not take the event. */
export function nextState(state: State, event: Event): State | undefined {
  return transitions[state][event];
}

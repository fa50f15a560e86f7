// Proves the session's state machine (src/session/machine.ts) is what issue 8
// asks for, as a table: the flow idle → identify (card and PIN, or QR) →
// person → bill → pre-settlement page by page → confirm → settle → print →
// done; every state has a timeout and a cancel path; before `print` both end
// in a message (nothing charged); every state leads back to idle; and an event
// a state does not take is refused (undefined), never guessed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nextState, states, transitions, type Event, type State } from '../../src/session/machine';

const events: readonly Event[] = ['card', 'qr', 'pin', 'read', 'retry', 'found', 'next', 'ok', 'confirmed', 'offline', 'refused', 'printed', 'timeout', 'cancel'];

// [state, event, next]: the whole table, written out.
const table: readonly [State, Event, State][] = [
  ['idle', 'card', 'pin'],
  ['idle', 'qr', 'person'],
  ['idle', 'ok', 'idle'],
  ['idle', 'timeout', 'idle'],
  ['idle', 'cancel', 'idle'],
  ['pin', 'pin', 'card'],
  ['pin', 'refused', 'message'],
  ['pin', 'timeout', 'message'],
  ['pin', 'cancel', 'message'],
  ['card', 'read', 'person'],
  ['card', 'retry', 'pin'],
  ['card', 'refused', 'message'],
  ['card', 'timeout', 'message'],
  ['card', 'cancel', 'message'],
  ['person', 'found', 'bill'],
  ['person', 'refused', 'message'],
  ['person', 'timeout', 'message'],
  ['person', 'cancel', 'message'],
  ['bill', 'found', 'review'],
  ['bill', 'offer', 'filing'],
  ['filing', 'found', 'review'],
  ['filing', 'refused', 'message'],
  ['filing', 'timeout', 'message'],
  ['filing', 'cancel', 'message'],
  ['bill', 'refused', 'message'],
  ['bill', 'timeout', 'message'],
  ['bill', 'cancel', 'message'],
  ['review', 'next', 'review'],
  ['review', 'ok', 'confirm'],
  ['review', 'refused', 'message'],
  ['review', 'timeout', 'message'],
  ['review', 'cancel', 'message'],
  ['confirm', 'ok', 'settle'],
  ['confirm', 'refused', 'message'],
  ['confirm', 'timeout', 'message'],
  ['confirm', 'cancel', 'message'],
  ['settle', 'confirmed', 'print'],
  ['settle', 'offline', 'print'],
  ['settle', 'refused', 'message'],
  ['settle', 'timeout', 'message'],
  ['settle', 'cancel', 'message'],
  ['print', 'printed', 'done'],
  ['print', 'refused', 'done'],
  ['print', 'timeout', 'done'],
  ['print', 'cancel', 'done'],
  ['done', 'ok', 'idle'],
  ['done', 'timeout', 'idle'],
  ['done', 'cancel', 'idle'],
  ['message', 'ok', 'idle'],
  ['message', 'timeout', 'idle'],
  ['message', 'cancel', 'idle'],
];

test('the transition table is exactly the one written out here; anything else is refused', () => {
  for (const state of states) {
    for (const event of events) {
      const row = table.find(([from, on]) => from === state && on === event);
      assert.is(nextState(state, event), row?.[2], `${state} --${event}-->`);
    }
  }
  assert.is(Object.keys(transitions).length, states.length);
});

test('every state has a timeout and a cancel path; before print both end in a message, nothing charged', () => {
  for (const state of states) {
    assert.ok(nextState(state, 'timeout') !== undefined, `${state} timeout`);
    assert.ok(nextState(state, 'cancel') !== undefined, `${state} cancel`);
  }
  for (const state of ['pin', 'card', 'person', 'bill', 'filing', 'review', 'confirm', 'settle'] as const) {
    assert.is(nextState(state, 'timeout'), 'message', state);
    assert.is(nextState(state, 'cancel'), 'message', state);
  }
});

test('the flow of issue 8, both ways in, and every state back to idle', () => {
  const walk = (from: State, path: readonly Event[]) => path.reduce<State>((state, event) => nextState(state, event) as State, from);
  assert.is(walk('idle', ['card', 'pin', 'read', 'found', 'found', 'next', 'ok', 'ok', 'confirmed', 'printed', 'ok']), 'idle');
  assert.is(walk('idle', ['qr', 'found', 'found', 'ok', 'ok', 'offline', 'printed']), 'done');
  for (const state of states) {
    // Breadth-first: idle is reachable from every state, and every state from idle.
    const seen = new Set<State>([state]);
    const queue = [state];
    while (queue.length > 0) for (const next of Object.values(transitions[queue.shift() as State])) if (!seen.has(next)) (seen.add(next), queue.push(next));
    assert.ok(seen.has('idle'), `${state} leads back to idle`);
  }
});

test.run();

// The patient's keys (issue 8): a queue of key tokens, as the kiosk's touch
// screen front end or a handheld's keypad hands them over: a PIN (4 to 12
// digits, entered whole), `ok`, `cancel`, `back`, `1`, `2`. Lines of text
// (standard input, a keypad's serial line) become tokens by `pushLine`; the
// emulated patients push tokens directly. Bounded: a key nobody waits for is
// kept, up to `keysQueuedMax`, then the oldest goes.
import { keysQueuedMax } from './limits';

const keyPattern = /^(ok|cancel|back|[0-9]{1,12})$/;

export class KeyQueue {
  readonly #keys: string[] = [];
  #waiter: ((key: string) => void) | null = null;

  /** Hands a key to the session; a word it does not know is dropped (false). */
  push(key: string): boolean {
    if (!keyPattern.test(key)) return false;
    const waiter = this.#waiter;
    this.#waiter = null;
    if (waiter !== null) waiter(key);
    else if (this.#keys.push(key) > keysQueuedMax) this.#keys.shift();
    return true;
  }

  /** One line of text: its words, in order (`123456 ok` is a PIN then OK). */
  pushLine(line: string): void {
    for (const word of line.trim().toLowerCase().split(/\s+/)) if (word !== '') this.push(word);
  }

  /** The next key; rejects with the signal's reason when it aborts first. One waiter at a time. */
  next(signal: AbortSignal): Promise<string> {
    const key = this.#keys.shift();
    if (key !== undefined) return Promise.resolve(key);
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiter = null;
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiter = (key) => {
        signal.removeEventListener('abort', onAbort);
        resolve(key);
      };
    });
  }
}

// The display driver for the session's text frames (issue 8): each frame,
// exactly the layout's rows of exactly its columns (src/session/screens.ts),
// written to a text stream inside a border, for the process that draws the
// kiosk's screen or the handheld's 20×4 display, a console, the demo.

export class TextDisplay {
  readonly #write: (text: string) => void;
  readonly #rule: string;
  #last = '';

  /** `cols`: the layout's width in cells (the border's). */
  constructor(write: (text: string) => void, cols: number) {
    this.#write = write;
    this.#rule = `+${'-'.repeat(cols)}+`;
  }

  show(frame: readonly string[]): void {
    const text = frame.join('\n');
    // The same frame twice (a redraw with nothing new) is not written again.
    if (text === this.#last) return;
    this.#last = text;
    this.#write([this.#rule, ...frame.map((row) => `|${row}|`), this.#rule, ''].join('\n'));
  }
}

// Text laid out in character cells, as receipts, the kiosk screen and a 20×4
// handheld display show it: a CJK ideograph (and any East Asian wide or
// fullwidth character) takes two cells, everything else one.

/** Whether a code point is East Asian wide or fullwidth (two cells). */
function isWide(codePoint: number): boolean {
  return (
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0x303e) ||
    (codePoint >= 0x3041 && codePoint <= 0x33ff) ||
    (codePoint >= 0x3400 && codePoint <= 0x4dbf) ||
    (codePoint >= 0x4e00 && codePoint <= 0x9fff) ||
    (codePoint >= 0xa000 && codePoint <= 0xa4cf) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd)
  );
}

/** Cells a text takes. */
export function cellWidth(text: string): number {
  let cells = 0;
  for (const char of text) cells += isWide(char.codePointAt(0) as number) ? 2 : 1;
  return cells;
}

/** The longest start of `text` that fits `cells` (a wide character never split). */
export function clip(text: string, cells: number): string {
  let used = 0;
  let out = '';
  for (const char of text) {
    const width = isWide(char.codePointAt(0) as number) ? 2 : 1;
    if (used + width > cells) break;
    used += width;
    out += char;
  }
  return out;
}

/** `text` clipped and padded with spaces to exactly `cells`. */
export function fit(text: string, cells: number, align: 'left' | 'right' | 'center' = 'left'): string {
  const clipped = clip(text, cells);
  const gap = cells - cellWidth(clipped);
  if (align === 'right') return ' '.repeat(gap) + clipped;
  if (align === 'center') return ' '.repeat(gap >> 1) + clipped + ' '.repeat(gap - (gap >> 1));
  return clipped + ' '.repeat(gap);
}

/** A label on the left, a value on the right, in `cells` (the value wins when both do not fit; a clipped label keeps a space before it). */
export function spread(label: string, value: string, cells: number): string {
  const valueCells = Math.min(cellWidth(value), cells);
  const room = cells - valueCells;
  return fit(cellWidth(label) > room && room > 1 ? clip(label, room - 1) : label, room) + fit(value, valueCells, 'right');
}

/** Breaks text into lines of at most `cells`, at spaces where it can, anywhere in CJK text. */
export function wrap(text: string, cells: number): string[] {
  const lines: string[] = [];
  let rest = text.trim();
  while (cellWidth(rest) > cells) {
    let head = clip(rest, cells);
    // Mid-word: go back to the last space, if the line has one.
    const space = head.lastIndexOf(' ');
    if (rest[head.length] !== ' ' && space > 0) head = head.slice(0, space);
    lines.push(head.trimEnd());
    rest = rest.slice(head.length).trimStart();
  }
  if (rest.length > 0 || lines.length === 0) lines.push(rest);
  return lines;
}

/** An ID number masked for print and screen: the first six and the last four characters kept. */
export function maskId(id: string): string {
  if (id.length <= 10) return `${id.slice(0, 2)}${'*'.repeat(Math.max(0, id.length - 2))}`;
  return `${id.slice(0, 6)}${'*'.repeat(id.length - 10)}${id.slice(-4)}`;
}

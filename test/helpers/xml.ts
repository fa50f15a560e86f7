// A tiny XML well-formedness check for the files the project writes by hand
// (the benchmark picture, bench/harness.ts resultsSvg): tags nest and close,
// attributes are quoted and not repeated, text holds no bare '<' or '&'.
// It returns the elements in document order with their attributes and
// direct text, so a test can read what the picture says.
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** The element's own text (entities decoded), children's text left out. */
  text: string;
  readonly parent: XmlElement | null;
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  if (/&(?!(amp|lt|gt|quot|apos|#[0-9]+);)/.test(text)) throw new Error(`xml: a bare '&' in ${JSON.stringify(text)}`);
  return text.replace(/&(amp|lt|gt|quot|apos|#[0-9]+);/g, (_, name: string) => (name.startsWith('#') ? String.fromCodePoint(Number(name.slice(1))) : (entities[name] as string)));
}

/** Parses a document; throws an Error saying what is wrong when it is not well-formed. */
export function parseXml(source: string): XmlElement[] {
  const elements: XmlElement[] = [];
  const open: XmlElement[] = [];
  let at = 0;
  let rootClosed = false;
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
  while (at < source.length) {
    const next = source.indexOf('<', at);
    const text = source.slice(at, next < 0 ? source.length : next);
    if (text.trim() !== '') {
      const parent = open[open.length - 1];
      if (parent === undefined) throw new Error(`xml: text outside the root element at ${at}`);
      parent.text += decode(text);
    }
    if (next < 0) break;
    if (source.startsWith('<?xml', next)) {
      const end = source.indexOf('?>', next);
      if (end < 0 || next !== 0) throw new Error('xml: a declaration that is not first');
      at = end + 2;
      continue;
    }
    tag.lastIndex = next;
    const match = tag.exec(source);
    if (match === null) throw new Error(`xml: a malformed tag at ${next}: ${JSON.stringify(source.slice(next, next + 40))}`);
    const [whole, closing, name, attributeText, selfClosing] = match as unknown as [string, string, string, string, string];
    at = next + whole.length;
    if (closing === '/') {
      const top = open.pop();
      if (top === undefined || top.name !== name) throw new Error(`xml: </${name}> closes ${top === undefined ? 'nothing' : `<${top.name}>`}`);
      if (open.length === 0) rootClosed = true;
      continue;
    }
    if (rootClosed || (open.length === 0 && elements.length > 0)) throw new Error(`xml: a second root element <${name}>`);
    const attributes: Record<string, string> = {};
    for (const [, key, double, single] of attributeText.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      if (key === undefined || key in attributes) throw new Error(`xml: attribute ${key} repeated on <${name}>`);
      attributes[key] = decode(double ?? single ?? '');
    }
    const element: XmlElement = { name, attributes, text: '', parent: open[open.length - 1] ?? null };
    elements.push(element);
    if (selfClosing !== '/') open.push(element);
    else if (open.length === 0) rootClosed = true;
  }
  if (open.length > 0) throw new Error(`xml: <${open[open.length - 1]?.name}> is never closed`);
  if (elements.length === 0) throw new Error('xml: no root element');
  return elements;
}

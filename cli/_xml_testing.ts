// Test helper: a small well-formedness check of SVG/XML text (no DTDs, no CDATA): balanced and
// properly nested tags, one root element, quoted attributes without raw `<`, valid entity
// references, no stray `<` in text, and every number in the document finite.

/** What {@linkcode checkXml} found. */
export interface XmlSummary {
  /** Name of the root element. */
  readonly root: string;
  /** Number of elements of each name. */
  readonly counts: Readonly<Record<string, number>>;
  /** Attribute maps of every element, in document order. */
  readonly elements: readonly { readonly name: string; readonly attrs: Record<string, string> }[];
  /** Character data of every `<text>` element (tags inside it removed, entities decoded). */
  readonly texts: readonly string[];
}

const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;

/** Throws an `Error` naming the offset of the first problem; returns a summary otherwise. */
export function checkXml(xml: string): XmlSummary {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`XML check: ${why} at offset ${i}: ${JSON.stringify(xml.slice(i, i + 40))}`);
  };
  const stack: string[] = [];
  const counts: Record<string, number> = {};
  const elements: { name: string; attrs: Record<string, string> }[] = [];
  const texts: string[] = [];
  let textDepth = -1;
  let textBuf = "";
  let root = "";
  let rootClosed = false;
  if (xml.startsWith("<?xml")) {
    const end = xml.indexOf("?>");
    if (end < 0) fail("unterminated XML declaration");
    i = end + 2;
  }
  const checkText = (s: string) => {
    for (let k = 0; k < s.length; k++) {
      if (s[k] === "&") {
        ENTITY.lastIndex = k;
        if (!ENTITY.test(s)) fail("bad entity reference");
      }
    }
  };
  while (i < xml.length) {
    if (xml[i] !== "<") {
      const next = xml.indexOf("<", i);
      const text = xml.slice(i, next < 0 ? xml.length : next);
      if ((stack.length === 0) && text.trim() !== "") fail("text outside the root element");
      checkText(text);
      if (textDepth >= 0) textBuf += text;
      i = next < 0 ? xml.length : next;
      continue;
    }
    if (xml.startsWith("<!--", i)) {
      const end = xml.indexOf("-->", i);
      if (end < 0) fail("unterminated comment");
      i = end + 3;
      continue;
    }
    if (xml.startsWith("</", i)) {
      const m = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(xml.slice(i));
      if (!m) fail("malformed end tag");
      const name = m![1];
      const open = stack.pop();
      if (open !== name) fail(`end tag </${name}> closes <${open}>`);
      if (textDepth === stack.length) {
        texts.push(decode(textBuf));
        textDepth = -1;
        textBuf = "";
      }
      if (stack.length === 0) rootClosed = true;
      i += m![0].length;
      continue;
    }
    const m =
      /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/
        .exec(xml.slice(i));
    if (!m) fail("malformed start tag");
    const [whole, name, attrText, selfClose] = m!;
    if (stack.length === 0) {
      if (root) fail("second root element");
      root = name;
    }
    if (rootClosed) fail("content after the root element");
    const attrs: Record<string, string> = {};
    for (const a of attrText.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      if (a[1] in attrs) fail(`duplicate attribute ${a[1]}`);
      const v = a[2] ?? a[3];
      checkText(v);
      attrs[a[1]] = decode(v);
    }
    counts[name] = (counts[name] ?? 0) + 1;
    elements.push({ name, attrs });
    if (!selfClose) {
      if (name === "text" && textDepth < 0) textDepth = stack.length;
      stack.push(name);
    } else if (stack.length === 0) rootClosed = true;
    i += whole.length;
  }
  if (stack.length) fail(`unclosed elements ${stack.join(" > ")}`);
  if (!root) fail("no root element");
  if (/\bNaN\b|Infinity/.test(xml.replace(/<text[\s\S]*?<\/text>/g, ""))) {
    fail("non-finite number in the markup");
  }
  return { root, counts, elements, texts };
}

function decode(s: string): string {
  return s.replace(
    /&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g,
    (_, e: string) =>
      e === "amp"
        ? "&"
        : e === "lt"
        ? "<"
        : e === "gt"
        ? ">"
        : e === "quot"
        ? '"'
        : e === "apos"
        ? "'"
        : String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)),
  );
}

/** All numbers in the geometry attributes of an SVG (for finiteness and range checks). */
export function svgNumbers(elements: XmlSummary["elements"]): number[] {
  const out: number[] = [];
  const keys = ["x", "y", "x1", "y1", "x2", "y2", "width", "height", "d", "points"];
  for (const e of elements) {
    for (const k of keys) {
      const v = e.attrs[k];
      if (v === undefined) continue;
      for (const t of v.match(/-?\d*\.?\d+(?:e[-+]?\d+)?/gi) ?? []) out.push(Number(t));
    }
  }
  return out;
}

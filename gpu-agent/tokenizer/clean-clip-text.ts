/**
 * CLIP's text cleanup before tokenisation: HTML entities unescaped (twice, as CLIP does, so
 * `&amp;amp;` becomes `&`), Unicode NFC normalisation, every whitespace run collapsed to one
 * space, the ends trimmed, and everything lower-cased.
 *
 * CLIP also runs `ftfy.fix_text` (mojibake repair); that is not reproduced here. Its NFC step is.
 */
export function cleanClipText(text: string): string {
  const unescaped = unescapeHtml(unescapeHtml(text));
  return unescaped.normalize('NFC').replace(/\s+/gu, ' ').trim().toLowerCase();
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = Object.freeze({
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
});

/** Unescapes the common named entities and every numeric one (`&#39;`, `&#x27;`). */
function unescapeHtml(text: string): string {
  return text.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);/g, (entity, body: string) => {
    if (body.startsWith('#')) {
      const code = body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
      return valid ? String.fromCodePoint(code) : entity;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? entity;
  });
}

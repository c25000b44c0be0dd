/**
 * The byte-level alphabet of CLIP (and GPT-2): every byte value 0..255 gets one printable Unicode
 * character, so that BPE can work on strings while every UTF-8 input stays representable.
 * Printable Latin-1 bytes stand for themselves; the others (controls, space, soft hyphen) are
 * moved to U+0100 and up, in byte order.
 */
export interface ByteLevelAlphabet {
  /** The character standing for each byte value (index = byte). */
  readonly byteToChar: readonly string[];
  /** The byte value of each alphabet character. */
  readonly charToByte: ReadonlyMap<string, number>;
  /**
   * The 256 characters in CLIP's vocabulary order: the bytes that stand for themselves
   * (`!`..`~`, `¡`..`¬`, `®`..`ÿ`) first, then the remapped ones in byte order.
   */
  readonly vocabularyOrder: readonly string[];
}

/** Builds the byte-level alphabet (a fresh, immutable value on every call). */
export function byteLevelAlphabet(): ByteLevelAlphabet {
  const selfMapped: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) selfMapped.push(b);
  for (let b = 0xa1; b <= 0xac; b++) selfMapped.push(b);
  for (let b = 0xae; b <= 0xff; b++) selfMapped.push(b);

  const bytes = [...selfMapped];
  const codePoints = [...selfMapped];
  const isSelfMapped = new Set(selfMapped);
  let moved = 0;
  for (let b = 0; b < 256; b++) {
    if (isSelfMapped.has(b)) continue;
    bytes.push(b);
    codePoints.push(256 + moved);
    moved++;
  }

  const byteToChar = new Array<string>(256);
  const charToByte = new Map<string, number>();
  const vocabularyOrder: string[] = [];
  bytes.forEach((byte, i) => {
    const char = String.fromCodePoint(codePoints[i]!);
    byteToChar[byte] = char;
    charToByte.set(char, byte);
    vocabularyOrder.push(char);
  });
  return { byteToChar: Object.freeze(byteToChar), charToByte, vocabularyOrder: Object.freeze(vocabularyOrder) };
}

/** Maps a string's UTF-8 bytes to alphabet characters: the form BPE and the vocabulary use. */
export function toByteLevel(alphabet: ByteLevelAlphabet, text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) out += alphabet.byteToChar[byte];
  return out;
}

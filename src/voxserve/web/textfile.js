// Reading a text file the user chose or dropped: UTF-8 (with or without a BOM), UTF-16 with a
// BOM, and GB18030 (which covers GBK and GB2312, what Chinese editors on Windows save).

const MAX_BYTES_PER_CHAR = 4; // no encoding here spends more on one code point

/** A file the page refuses before anything is sent: `key` names the message, `vars` fill it. */
export class FileRefused extends Error {
  constructor(key, vars = {}) {
    super(key);
    this.key = key;
    this.vars = vars;
  }
}

/** Decode `bytes`: UTF-8 when they are valid UTF-8, else GB18030 (UTF-16 when a BOM says so). */
export function decodeText(bytes) {
  for (const [encoding, bom] of [['utf-16le', [0xff, 0xfe]], ['utf-16be', [0xfe, 0xff]]]) {
    if (bytes[0] === bom[0] && bytes[1] === bom[1]) {
      return { encoding, text: new TextDecoder(encoding).decode(bytes) };
    }
  }
  try {
    // fatal: bytes that are not UTF-8 throw, and GB18030 is read instead (the UTF-8 BOM is dropped).
    return { encoding: 'utf-8', text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { encoding: 'gb18030', text: new TextDecoder('gb18030').decode(bytes) };
  }
}

/**
 * The text of `file`, refused (FileRefused) when it cannot be a text of at most `maxChars`
 * characters: too big, empty, or not text at all (NUL bytes).
 */
export async function readTextFile(file, maxChars) {
  if (file.size > maxChars * MAX_BYTES_PER_CHAR + 4) {
    throw new FileRefused('fileTooBig', { name: file.name, max: maxChars });
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const { encoding, text } = decodeText(bytes);
  if (text.includes('\u0000')) {
    throw new FileRefused('notText', { name: file.name });
  }
  const chars = [...text].length;
  if (text.trim() === '') throw new FileRefused('emptyFile', { name: file.name });
  if (chars > maxChars) {
    throw new FileRefused('jobTooLong', { n: chars, max: maxChars });
  }
  return { text, encoding, chars };
}

/**
 * An artifact or per-customer record that cannot be read: wrong magic, unsupported version,
 * truncated, corrupt (checksum), or inconsistent. The message says what is wrong and, where
 * one is at fault, names the section.
 */
export class FormatError extends Error {
  override readonly name = 'FormatError';
  /** The section at fault, when there is one (`item-vectors`, `header`, `section table`). */
  readonly section?: string;

  constructor(message: string, section?: string) {
    super(message);
    if (section !== undefined) this.section = section;
  }
}

/** Four bytes in file order as hex (`0x50314d41`), for messages about magic numbers. */
export function hex32(bytes: Uint8Array, at = 0): string {
  let s = '0x';
  for (let k = 0; k < 4; k++) s += (bytes[at + k] ?? 0).toString(16).padStart(2, '0');
  return s;
}

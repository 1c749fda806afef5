/** How import matches an incoming item with one in the library: same type and same normalized title. */

/** Trimmed, NFC, case-folded: "  Café " and "café" are the same identity. */
export function normalizeTitle(title: string): string {
  return title.trim().normalize('NFC').toLocaleLowerCase('en-US');
}

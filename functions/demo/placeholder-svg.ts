/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** FNV-1a over the UTF-16 code units: a stable hash for a stable colour. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Splits a title into at most `maxLines` lines of about `width` characters, the last one cut with "…". */
export function wrapTitle(title: string, width = 16, maxLines = 3): string[] {
  const lines: string[] = [];
  let line = '';
  const words = title
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  for (let k = 0; k < words.length; k++) {
    // Very long words are cut so that one word never overflows the picture.
    const word = [...words[k]].length > width ? `${[...words[k]].slice(0, width - 1).join('')}…` : words[k];
    const next = line === '' ? word : `${line} ${word}`;
    if ([...next].length <= width) {
      line = next;
      continue;
    }
    lines.push(line);
    line = word;
    if (lines.length === maxLines) {
      const last = lines[maxLines - 1];
      const space = last.lastIndexOf(' ');
      lines[maxLines - 1] = [...last].length < width ? `${last}…` : space > 0 ? `${last.slice(0, space)}…` : `${[...last].slice(0, width - 1).join('')}…`;
      return lines;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/**
 * A square placeholder picture of a product: a colour derived from the item id (the same
 * id always gets the same colour), the title in up to three lines and the category.
 * Every text is escaped.
 */
export function placeholderSvg(id: string, title: string, category: string): string {
  const hue = hash(id) % 360;
  const lines = wrapTitle(title);
  const top = 200 - (lines.length - 1) * 22;
  const text = lines.map((l, k) => `<text x="200" y="${top + k * 44}" font-size="34" font-weight="600">${escapeXml(l)}</text>`).join('');
  const label =
    category === ''
      ? ''
      : `<text x="200" y="350" font-size="22" opacity=".75">${escapeXml(category.length > 28 ? `${category.slice(0, 27)}…` : category)}</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" width="400" height="400" role="img" aria-label="${escapeXml(title)}">` +
    `<rect width="400" height="400" fill="hsl(${hue} 60% 84%)"/>` +
    `<circle cx="330" cy="70" r="120" fill="hsl(${(hue + 40) % 360} 65% 74%)"/>` +
    `<g fill="hsl(${hue} 45% 22%)" font-family="system-ui,sans-serif" text-anchor="middle">${text}${label}</g></svg>`
  );
}

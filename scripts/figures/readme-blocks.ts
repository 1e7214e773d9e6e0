/**
 * Generated blocks of a Markdown file: the text between `<!-- figures:NAME -->` and `<!-- /figures:NAME -->` is
 * written by `npm run figures` from a recorded output file, never by hand. A block's markers stay; what is between
 * them is replaced whole.
 */

/** One generated block as it stands in the file. */
export interface FigureBlock {
  readonly name: string;
  /** The text between the markers, without the line breaks next to them. */
  readonly body: string;
}

/** A file whose markers do not pair up. */
export class FigureMarkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FigureMarkerError";
  }
}

const START = /<!-- figures:([a-z0-9-]+) -->/g;
const startMarker = (name: string) => `<!-- figures:${name} -->`;
const endMarker = (name: string) => `<!-- /figures:${name} -->`;

/** Every block of the text, in order. A start without its end, or an end before its start, is an error. */
export function figureBlocks(text: string): FigureBlock[] {
  const blocks: FigureBlock[] = [];
  for (const match of text.matchAll(START)) {
    const name = match[1] as string;
    const from = (match.index ?? 0) + match[0].length;
    const end = text.indexOf(endMarker(name), from);
    if (end < 0) throw new FigureMarkerError(`${startMarker(name)} has no ${endMarker(name)} after it`);
    blocks.push({ name, body: text.slice(from, end).replace(/^\n/, "").replace(/\n$/, "") });
  }
  const ends = [...text.matchAll(/<!-- \/figures:([a-z0-9-]+) -->/g)].length;
  if (ends !== blocks.length)
    throw new FigureMarkerError(
      `${ends} end markers for ${blocks.length} blocks: a /figures marker has no start`,
    );
  return blocks;
}

/** The text with every block named in `bodies` rewritten; blocks of other names are left as they are. */
export function withFigureBlocks(text: string, bodies: Readonly<Record<string, string>>): string {
  figureBlocks(text);
  let result = text;
  for (const [name, body] of Object.entries(bodies)) {
    let from = 0;
    for (;;) {
      const start = result.indexOf(startMarker(name), from);
      if (start < 0) break;
      const inner = start + startMarker(name).length;
      const end = result.indexOf(endMarker(name), inner);
      result = `${result.slice(0, inner)}\n${body}\n${result.slice(end)}`;
      from = inner + body.length + 2 + endMarker(name).length;
    }
  }
  return result;
}

/** The README's generated blocks rendered from the committed records, and which of them differ. */

import { existsSync, readFileSync } from "node:fs";
import { figureBlocks, withFigureBlocks } from "./readme-blocks.ts";
import { FIGURE_SOURCES, type FigureSource, recordPath } from "./sources.ts";

/** The source that renders a block, or undefined. */
export function sourceOfBlock(block: string): FigureSource | undefined {
  return FIGURE_SOURCES.find((source) => Object.hasOwn(source.blocks, block));
}

/** A block's body rendered from its source's record; throws naming what is missing. */
export function renderBlock(block: string): string {
  const source = sourceOfBlock(block);
  if (!source) throw new Error(`no figure source renders the block ${block} (scripts/figures/sources.ts)`);
  const record = recordPath(source);
  if (!existsSync(record))
    throw new Error(`figures/${source.name}.json is missing: run ${source.producedBy}, then npm run figures`);
  const render = source.blocks[block] as (data: unknown) => string;
  return render(JSON.parse(readFileSync(record, "utf8")));
}

/**
 * The text with every generated block that can be rendered rendered again from its record, and why each other one
 * could not be (left as it was).
 */
export function renderAllBlocks(text: string): { readonly text: string; readonly problems: string[] } {
  const names = [...new Set(figureBlocks(text).map((block) => block.name))];
  const bodies: Record<string, string> = {};
  const problems: string[] = [];
  for (const name of names) {
    try {
      bodies[name] = renderBlock(name);
    } catch (error) {
      problems.push(`figures:${name}: ${(error as Error).message}`);
    }
  }
  return { text: withFigureBlocks(text, bodies), problems };
}

/** One sentence per block that is not the rendering of its record (or cannot be rendered). */
export function staleBlocks(text: string): string[] {
  const stale: string[] = [];
  for (const block of figureBlocks(text)) {
    try {
      if (block.body !== renderBlock(block.name))
        stale.push(`figures:${block.name} differs from its record: run npm run figures`);
    } catch (error) {
      stale.push(`figures:${block.name}: ${(error as Error).message}`);
    }
  }
  return stale;
}

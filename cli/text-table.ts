/** Plain-text tables for the terminal: columns padded to their widest cell, the last column left as it is. */

/** Renders a header and rows; every row has one cell per header. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  return `${[headers, ...rows].map(line).join("\n")}\n`;
}

/** USD with two decimals and no unit, e.g. `$8.00`; an unknown amount is `—`. */
export function formatUsd(usd: number | undefined): string {
  return usd === undefined ? "—" : `$${usd.toFixed(2)}`;
}

/** Rounds USD to cents. */
export const roundCents = (usd: number): number => Math.round(usd * 100) / 100;

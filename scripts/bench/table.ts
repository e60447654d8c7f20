/** Prints a table: the first `textColumns` columns left-aligned (names), the rest right-aligned (figures). */
export function printTable(head: readonly string[], rows: readonly (readonly string[])[], textColumns = 1): void {
  const widths = head.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => (column < textColumns ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  ");
  console.log(line(head));
  for (const row of rows) console.log(line(row));
}

/** The HTML page listing a directory's entries, every name escaped and every link encoded. */
import type { FileEntry } from "./file-source";
import { escapeHtml } from "./html";

/** `path` is the directory in the source; `urlPath` where it is served (the same without a mount path). */
export function directoryListing(path: string, entries: readonly FileEntry[], maxEntries: number, urlPath = path): string {
  const title = escapeHtml(`Index of ${urlPath.endsWith("/") ? urlPath : `${urlPath}/`}`);
  const sorted = [...entries].sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.kind === "directory" ? -1 : 1));
  const shown = sorted.slice(0, maxEntries);
  const rows = shown.map((entry) => {
    const slash = entry.kind === "directory" ? "/" : "";
    const size = entry.kind === "directory" ? "" : String(entry.size);
    return `<tr><td><a href="./${encodeURIComponent(entry.name)}${slash}">${escapeHtml(entry.name)}${slash}</a></td><td>${size}</td></tr>`;
  });
  if (path !== "/") rows.unshift(`<tr><td><a href="../">../</a></td><td></td></tr>`);
  const more = sorted.length > shown.length ? `<p>${sorted.length - shown.length} more entries not shown</p>` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>
<h1>${title}</h1>
<table><tr><th>name</th><th>bytes</th></tr>
${rows.join("\n")}
</table>${more}
</body></html>
`;
}

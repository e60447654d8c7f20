// A small JSON API over notes held in memory: list, create, read, delete, and an echo.
// Kept apart from main.ts (which serves it) so it runs under Node in the unit tests as it is.

export interface Note {
  readonly id: number;
  readonly text: string;
}

const NOTES = /^\/api\/notes\/(\d+)$/;
/** Notes kept, at most; creating one more answers 507. */
export const MAX_NOTES = 1000;
/** Longest note text, in characters. */
export const MAX_TEXT = 4096;

function error(status: number, message: string): Response {
  return Response.json({ error: message }, { status });
}

/** The text of a `{ "text": "..." }` body, or the response refusing it. */
async function noteText(request: Request): Promise<string | Response> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return error(400, "the body is not JSON");
  }
  const text = typeof body === "object" && body !== null ? (body as { text?: unknown }).text : undefined;
  if (typeof text !== "string" || text.length === 0) return error(400, 'expected { "text": "..." }');
  if (text.length > MAX_TEXT) return error(413, `a note holds at most ${MAX_TEXT} characters`);
  return text;
}

export function createJsonApi(): (request: Request) => Promise<Response> {
  const notes = new Map<number, Note>();
  let nextId = 1;
  return async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === "/api/echo" && request.method === "POST") return Response.json({ method: request.method, received: await request.text() });
    if (pathname === "/api/notes") {
      if (request.method === "GET") return Response.json([...notes.values()]);
      if (request.method !== "POST") return error(405, "GET or POST");
      if (notes.size >= MAX_NOTES) return error(507, `at most ${MAX_NOTES} notes`);
      const text = await noteText(request);
      if (text instanceof Response) return text;
      const note = { id: nextId++, text };
      notes.set(note.id, note);
      return Response.json(note, { status: 201, headers: { location: `/api/notes/${note.id}` } });
    }
    const match = NOTES.exec(pathname);
    if (match === null) return error(404, "no such resource");
    const id = Number(match[1]);
    const note = notes.get(id);
    if (note === undefined) return error(404, `no note ${id}`);
    if (request.method === "GET") return Response.json(note);
    if (request.method === "DELETE") {
      notes.delete(id);
      return new Response(null, { status: 204 });
    }
    return error(405, "GET or DELETE");
  };
}

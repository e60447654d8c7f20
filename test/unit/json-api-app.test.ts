import { describe, expect, it } from "vitest";
import { createJsonApi, MAX_TEXT } from "../../images/json-api/app";
import { installHttpGlobals } from "../../runtime/app/globals";

// The example is written against the guest's globals, as apps are.
installHttpGlobals();

const url = (path: string) => `http://127.0.0.1:8080${path}`;
const post = (path: string, body: string) => new Request(url(path), { method: "POST", body });

describe("the json-api example", () => {
  it("creates, lists, reads and deletes notes", async () => {
    const api = createJsonApi();
    const created = await api(post("/api/notes", '{"text":"first"}'));
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe("/api/notes/1");
    expect(await created.json()).toEqual({ id: 1, text: "first" });
    await api(post("/api/notes", '{"text":"second"}'));
    expect(await (await api(new Request(url("/api/notes")))).json()).toEqual([{ id: 1, text: "first" }, { id: 2, text: "second" }]);
    expect(await (await api(new Request(url("/api/notes/2")))).json()).toEqual({ id: 2, text: "second" });
    expect((await api(new Request(url("/api/notes/1"), { method: "DELETE" }))).status).toBe(204);
    expect((await api(new Request(url("/api/notes/1")))).status).toBe(404);
  });

  it("refuses bodies that are not a note, and unknown paths and methods", async () => {
    const api = createJsonApi();
    expect((await api(post("/api/notes", "{"))).status).toBe(400);
    expect((await api(post("/api/notes", '{"text":7}'))).status).toBe(400);
    expect((await api(post("/api/notes", JSON.stringify({ text: "x".repeat(MAX_TEXT + 1) })))).status).toBe(413);
    expect((await api(new Request(url("/api/notes"), { method: "PUT" }))).status).toBe(405);
    expect((await api(new Request(url("/elsewhere")))).status).toBe(404);
  });

  it("echoes what it is sent", async () => {
    expect(await (await createJsonApi()(post("/api/echo", "ping"))).json()).toEqual({ method: "POST", received: "ping" });
  });
});

/** HTTP/1.1 with the web-standard Request/Response/Headers/URL shapes. */
export type { BodyInit } from "./body";
export { createFetch, type Fetch, type FetchInit } from "./fetch";
export { Headers, type HeadersInit } from "./headers";
export { Request, type RequestInit } from "./request";
export { Response, type ResponseInit } from "./response";
export { DEFAULT_SERVER_LIMITS, serve, type HttpServer, type ServeOptions, type ServerLimits } from "./server";
export { URL, URLSearchParams } from "./url";

/** Status codes the server produces itself, and reason phrases for the common ones. */
export const STATUS_OK = 200;
export const STATUS_NO_CONTENT = 204;
export const STATUS_NOT_MODIFIED = 304;
export const STATUS_BAD_REQUEST = 400;
export const STATUS_PAYLOAD_TOO_LARGE = 413;
export const STATUS_HEADER_FIELDS_TOO_LARGE = 431;
export const STATUS_INTERNAL_ERROR = 500;
export const STATUS_NOT_IMPLEMENTED = 501;
export const STATUS_SERVICE_UNAVAILABLE = 503;
export const STATUS_VERSION_NOT_SUPPORTED = 505;

const REASONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  206: "Partial Content",
  301: "Moved Permanently",
  302: "Found",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Content Too Large",
  416: "Range Not Satisfiable",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? "";
}

/** 1xx, 204 and 304 responses never carry a body (RFC 9112 6.3). */
export function statusHasBody(status: number): boolean {
  return status >= STATUS_OK && status !== STATUS_NO_CONTENT && status !== STATUS_NOT_MODIFIED;
}

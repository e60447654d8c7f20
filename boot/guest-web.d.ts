/**
 * The web platform's HTTP globals, for app code that imports "vireo" or "vireo/test"
 * (installed by runtime/app/globals.ts; `fetch` only with "vireo", as it needs the network).
 */

type Request = import("../runtime/http/request").Request;
declare var Request: typeof import("../runtime/http/request").Request;
type RequestInit = import("../runtime/http/request").RequestInit;
type Response = import("../runtime/http/response").Response;
declare var Response: typeof import("../runtime/http/response").Response;
type ResponseInit = import("../runtime/http/response").ResponseInit;
type Headers = import("../runtime/http/headers").Headers;
declare var Headers: typeof import("../runtime/http/headers").Headers;
type HeadersInit = import("../runtime/http/headers").HeadersInit;
type BodyInit = import("../runtime/http/body").BodyInit;
type URL = import("../runtime/http/url").URL;
declare var URL: typeof import("../runtime/http/url").URL;
type URLSearchParams = import("../runtime/http/url").URLSearchParams;
declare var URLSearchParams: typeof import("../runtime/http/url").URLSearchParams;
declare function fetch(input: string | URL, init?: import("../runtime/http/fetch").FetchInit): Promise<Response>;

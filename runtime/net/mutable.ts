/** A writable version of a read-only record type, for objects reused across calls. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

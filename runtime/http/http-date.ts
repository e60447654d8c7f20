/** HTTP dates (RFC 9110 5.6.7): IMF-fixdate out, IMF-fixdate in ("Sun, 06 Nov 1994 08:49:37 GMT"). */
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const FIXDATE = /^[A-Z][a-z]{2}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const MS_PER_S = 1000;

/** `ms` since 1970 as an IMF-fixdate (whole seconds). */
export function formatHttpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** Milliseconds since 1970 for an IMF-fixdate, or null for anything else (obsolete forms included). */
export function parseHttpDate(text: string): number | null {
  const match = FIXDATE.exec(text.trim());
  if (match === null) return null;
  const month = MONTHS.indexOf(match[2]);
  if (month < 0) return null;
  const [day, year, hours, minutes, seconds] = [match[1], match[3], match[4], match[5], match[6]].map(Number);
  const ms = Date.UTC(year, month, day, hours, minutes, seconds);
  // Date.UTC rolls "31 Feb" over into March: such a date is refused, not moved.
  return new Date(ms).getUTCDate() === day && hours < 24 && minutes < 60 && seconds < 60 ? ms : null;
}

/** `ms` down to the whole second HTTP dates carry. */
export function wholeSecondMs(ms: number): number {
  return Math.floor(ms / MS_PER_S) * MS_PER_S;
}

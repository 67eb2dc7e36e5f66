/** Parses Retry-After (RFC 9110: delay-seconds or an HTTP-date) into milliseconds. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // HTTP-dates always name a month; without this, Date.parse('-1') reads a year.
  const date = /[a-z]/i.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  // A date in the past means "now"; anything unparsable is ignored rather than guessed at.
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

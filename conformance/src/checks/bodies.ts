/** Extension fields of the status and result bodies: the timestamps and `queue_position`. */
import { CORE, type Check } from '../check.ts';
import { completedResult, stateOf, watchedRequest } from '../flows.ts';
import type { Exchange } from '../http.ts';
import { ensure } from '../outcome.ts';

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const fields = ['created_at', 'started_at', 'completed_at'] as const;

export const bodyChecks: Check[] = [
  {
    id: 'V2-TIMESTAMPS',
    level: 'MUST',
    clause: 'V2-TIMESTAMPS',
    extension: 'timestamps',
    profiles: CORE,
    sentence:
      'Where timestamps are offered, `created_at`, `started_at` and `completed_at` MUST be RFC 3339 times, in that order, each unchanged once set, across every status and result body of a request.',
    async run(ctx) {
      const { w, result } = await completedResult(ctx);
      const bodies: Exchange[] = [...w.rounds.map((r) => r.status), result];
      const first: Partial<Record<(typeof fields)[number], string>> = {};
      for (const ex of bodies) {
        const j = (ex.json ?? {}) as Record<string, unknown>;
        for (const f of fields) {
          const v = j[f];
          if (v === undefined || v === null) continue;
          ensure(
            typeof v === 'string' && rfc3339.test(v) && !Number.isNaN(Date.parse(v)),
            `${f} ${JSON.stringify(v)} is not an RFC 3339 time`,
            ex,
          );
          ensure(first[f] === undefined || first[f] === v, `${f} changed from ${first[f]} to ${v}`, ex);
          first[f] = v;
        }
        const [c, s, d] = fields.map((f) => (typeof j[f] === 'string' ? Date.parse(j[f] as string) : undefined));
        ensure(
          c === undefined || s === undefined || c <= s,
          `started_at ${String(j.started_at)} is before created_at ${String(j.created_at)}`,
          ex,
        );
        ensure(
          s === undefined || d === undefined || s <= d,
          `completed_at ${String(j.completed_at)} is before started_at ${String(j.started_at)}`,
          ex,
        );
        ensure(
          c === undefined || d === undefined || c <= d,
          `completed_at ${String(j.completed_at)} is before created_at ${String(j.created_at)}`,
          ex,
        );
      }
      return `${bodies.length} bodies, ${fields.filter((f) => first[f]).join(', ')} consistent`;
    },
  },
  {
    id: 'V2-QUEUE-POSITION',
    level: 'MUST',
    clause: 'V2-QUEUE-POSITION',
    extension: 'queue-position',
    profiles: CORE,
    sentence:
      'Where queue positions are offered, `queue_position` MUST be a non-negative integer and MUST appear only while the status says QUEUED (every status body seen in the run).',
    async run(ctx) {
      await watchedRequest(ctx);
      let seen = 0;
      // Every status body seen so far in the run, not only the watched request's.
      for (const ex of ctx.http.exchanges.filter(
        (e) => e.operationId === 'getRequestStatus' && e.status === 200 && /json/i.test(e.contentType),
      )) {
        const q = (ex.json as { queue_position?: unknown } | undefined)?.queue_position;
        if (q === undefined) continue;
        seen++;
        ensure(
          Number.isInteger(q) && (q as number) >= 0,
          `queue_position ${JSON.stringify(q)} is not a non-negative integer`,
          ex,
        );
        ensure(stateOf(ex) === 'QUEUED', `queue_position while ${String(stateOf(ex))}`, ex);
      }
      return `${seen} status body(ies) with queue_position`;
    },
  },
];

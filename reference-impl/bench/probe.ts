/** Fires `GET /healthz` on a fixed schedule and records latencies measured from each request's scheduled time. */

export interface ProbeResult {
  sent: number;
  failed: number;
  latencies: number[];
}
export interface Prober {
  stop(): Promise<ProbeResult>;
}

/**
 * Latency counts from the *scheduled* send time, not the moment the timer fired: if the event loop stalls,
 * the probes that should have gone out meanwhile are charged the stall (no coordinated omission).
 */
export function startHealthProbe(baseUrl: string, intervalMs = 20): Prober {
  const latencies: number[] = [];
  const inflight = new Set<Promise<void>>();
  const t0 = performance.now();
  let sent = 0;
  let failed = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (stopped) return;
    const due = t0 + sent * intervalMs;
    sent++;
    const p: Promise<void> = fetch(`${baseUrl}/healthz`)
      .then(
        async (res) => {
          await res.arrayBuffer();
          if (res.ok) latencies.push(performance.now() - due);
          else failed++;
        },
        () => {
          failed++;
        },
      )
      .finally(() => {
        inflight.delete(p);
      });
    inflight.add(p);
    timer = setTimeout(tick, Math.max(0, t0 + sent * intervalMs - performance.now()));
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.all([...inflight]);
      return { sent, failed, latencies };
    },
  };
}

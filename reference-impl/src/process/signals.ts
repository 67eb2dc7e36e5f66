/** Runs a started server until SIGINT/SIGTERM, then shuts it down gracefully; a second signal exits at once. */
import type { Running } from './running.ts';

export function untilSignal(running: Running, graceS: number): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        running.app.log.warn(`${signal} again: exiting now`);
        process.exit(1);
      }
      stopping = true;
      running.app.log.info({ signal, graceS }, 'shutting down');
      running.shutdown().then(
        () => resolve(0),
        (e: Error) => {
          running.app.log.error({ err: e }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

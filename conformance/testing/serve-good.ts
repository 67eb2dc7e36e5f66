/** Runs the good server (or one faulty variant) standalone: `npx tsx conformance/testing/serve-good.ts [--port 8080] [--retention-s 5] [--production] [--fault NAME]`. */
import { parseArgs } from 'node:util';
import { faultNames, startGoodServer, type FaultName } from './good-server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'retention-s': { type: 'string', default: '3600' },
    fault: { type: 'string' },
    production: { type: 'boolean', default: false },
  },
});
if (values.fault && !faultNames.includes(values.fault as FaultName)) {
  console.error(`unknown fault; one of: ${faultNames.join(', ')}`);
  process.exit(2);
}
const server = await startGoodServer({
  port: Number(values.port),
  retentionMs: Number(values['retention-s']) * 1000,
  fault: values.fault as FaultName | undefined,
  production: values.production,
});
console.log(
  `good server${values.production ? ' (production-shaped)' : ''} on ${server.url} (keys: ${server.keys.join(', ')}${values.fault ? `, fault ${values.fault}` : ''})`,
);
process.on('SIGINT', () => void server.close().then(() => process.exit(0)));
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));

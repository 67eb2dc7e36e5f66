/** The `bgr` command dispatcher: picks the subcommand from the table in commands.ts and runs it. */
import { commands } from './commands.ts';

function usage(): string {
  const lines = Object.entries(commands).map(([n, c]) => `  bgr ${n.padEnd(8)} ${c.summary}`);
  return `usage: bgr <command> [options]\n\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const entry = name ? commands[name] : undefined;
  if (!entry) {
    process.stderr.write(usage());
    return name === undefined || name === '--help' || name === '-h' ? 0 : 2;
  }
  return (await entry.load())(rest);
}

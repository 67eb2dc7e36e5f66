/** The `bgr` command dispatcher: one subcommand per package role (serve, mock, check, docs, bench). */
type Command = (args: string[]) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {};

/** Registers a subcommand; each role's module is imported only when its command runs. */
export function command(name: string, summary: string, load: () => Promise<Command>): void {
  commands[name] = { summary, load };
}

function usage(): string {
  const lines = Object.entries(commands).map(([n, c]) => `  bgr ${n.padEnd(8)} ${c.summary}`);
  return `usage: bgr <command> [options]\n\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  await import('./commands.ts');
  const [name, ...rest] = argv;
  const entry = name ? commands[name] : undefined;
  if (!entry) {
    process.stderr.write(usage());
    return name === undefined || name === '--help' || name === '-h' ? 0 : 2;
  }
  return (await entry.load())(rest);
}

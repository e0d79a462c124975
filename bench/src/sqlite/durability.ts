const SYNCHRONOUS_LEVELS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

/** The durability a SQLite connection runs at, from its own pragmas (read back, not assumed). */
export function sqliteDurability(journalMode: string, synchronous: number): string {
  const level = SYNCHRONOUS_LEVELS[synchronous] ?? String(synchronous);
  return `journal_mode=${journalMode.toUpperCase()}, synchronous=${level}`;
}

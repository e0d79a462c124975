import Database from 'better-sqlite3';

/**
 * `PRAGMA integrity_check` of one SQLite file: 'ok', or what SQLite found wrong. Opening it runs
 * the recovery a restarted service would (a WAL left by a killed process is replayed).
 */
export function sqliteIntegrity(path: string): string {
  const db = new Database(path);
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((row) => row.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

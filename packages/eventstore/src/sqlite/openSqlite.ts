import Database from 'better-sqlite3';

export interface SqliteOpenOptions {
  /**
   * `full` (default): every commit is fsynced before it resolves — an accepted write survives
   * power loss. `normal`: WAL commits survive a process crash, not an OS crash.
   */
  readonly synchronous?: 'full' | 'normal';
  /** How long a writer waits for another process's write lock (default 10 s). */
  readonly busyTimeoutMs?: number;
  /**
   * The most the file may grow to, in MB (default: no cap beyond the disk's): a write past it
   * fails with SQLITE_FULL, as on a full disk, and the file stays as it was.
   */
  readonly maxSizeMb?: number;
}

/**
 * Opens a SQLite file the way every Aman store does: in WAL mode, so readers in other processes
 * never block the writer, at an explicit synchronous level (better-sqlite3 is built with
 * SQLITE_DEFAULT_WAL_SYNCHRONOUS=1: leaving it out would mean `normal`), waiting for other
 * processes' write locks instead of failing at once.
 */
export function openSqlite(path: string, options: SqliteOpenOptions = {}): Database.Database {
  const db = new Database(path, { timeout: options.busyTimeoutMs ?? 10_000 });
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  if (options.maxSizeMb !== undefined) {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma(
      `max_page_count = ${String(Math.floor((options.maxSizeMb * 1024 * 1024) / pageSize))}`,
    );
  }
  return db;
}

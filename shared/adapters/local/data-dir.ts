/**
 * The data dir: made (or refused with a reason), locked for one engine, and its database opened
 * with errors that name the path and the remedy instead of SQLite's bare words.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync, accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PagerlessError } from '../../kit/errors.ts';
import { SqliteStore } from './sqlite-store.ts';

/** The data dir cannot be used as it is: permanent until a person acts on the message. */
export class DataDirError extends PagerlessError {
  override name = 'DataDirError';
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'DATA_DIR', retryable: false, cause });
  }
}

/** Make the folder, or say why it cannot be one. */
export function prepareDataDir(dir: string): void {
  try {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) throw new DataDirError(`--data ${dir} is a file, not a folder: point --data at a folder (it is made if missing)`);
    if (!st) mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    if (err instanceof DataDirError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOTDIR') throw new DataDirError(`--data ${dir}: a part of this path is a file, not a folder`);
    if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS') {
      throw new DataDirError(`--data ${dir} is not writable (${e.code === 'EROFS' ? 'read-only file system' : 'permission denied'}): point --data at a folder this user can write`);
    }
    throw new DataDirError(`--data ${dir}: ${e.message}`);
  }
}

/**
 * One engine per data dir: an exclusive SQLite lock on `lock.db`, which the OS drops when the
 * process dies (kill -9 included), so a crash never leaves a stale lock behind.
 */
export function lockDataDir(dir: string): { release(): void } {
  const file = join(dir, 'lock.db');
  const pidFile = join(dir, 'lock.pid');
  const db = new Database(file, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS lock (pid INTEGER)');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      let pid = 'unknown';
      try {
        pid = readFileSync(pidFile, 'utf8').trim() || pid;
      } catch {
        // written right after the lock is taken; a race leaves it unknown
      }
      throw new DataDirError(`data dir ${dir} is in use by pid ${pid}: stop that engine, or give this one another --data`);
    }
    throw new DataDirError(`cannot lock data dir ${dir}: ${(err as Error).message}`);
  }
  writeFileSync(pidFile, `${process.pid}\n`);
  return {
    release: () => {
      if (db.open) db.close();
    },
  };
}

/** Open the database, mapping SQLite's failures to what to do about them. */
export function openStore(dir: string): SqliteStore {
  const file = join(dir, 'pagerless.db');
  try {
    return new SqliteStore(file);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code === 'SQLITE_NOTADB') throw new DataDirError(`${file} is not a database (file is not a database): move it away, or point --data at another folder`);
    if (code.startsWith('SQLITE_CORRUPT')) throw new DataDirError(`${file} is damaged (database disk image is malformed): restore it from a backup, or move it away to start with empty history`);
    if (code.startsWith('SQLITE_CANTOPEN')) throw new DataDirError(`cannot open ${file} (unable to open database file): check that it is a file this user can read and write`);
    if (code.startsWith('SQLITE_READONLY')) throw new DataDirError(`${file} is read-only: make it writable, or point --data at another folder`);
    if (code === 'SQLITE_FULL') throw new DataDirError(`the disk holding ${file} is full: free some space`);
    throw err;
  }
}

/** Prepare, lock and open a data dir: the store, and the lock to release once it is closed. */
export function openDataDir(dir: string): { store: SqliteStore; lock: { release(): void } } {
  prepareDataDir(dir);
  const lock = lockDataDir(dir);
  try {
    return { store: openStore(dir), lock };
  } catch (err) {
    lock.release();
    throw err;
  }
}

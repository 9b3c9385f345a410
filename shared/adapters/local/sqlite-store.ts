/**
 * The local store: one SQLite file (WAL) holding results, check states, incidents, their
 * timelines, heartbeats and the effect outbox. A state change, its incident record and its effects
 * are written in one transaction, so a crash (kill -9 included) never leaves half a transition.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { orderGroup } from '../../engine/delivery-order.ts';
import type { Commit, EngineStore, OutboxItem } from '../../ports.ts';
import type { CheckState, Effect, Incident, ProbeResult, TimelineEntry } from '../../types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS results (
  check_id TEXT NOT NULL, region TEXT NOT NULL, at INTEGER NOT NULL, ok INTEGER NOT NULL,
  latency_ms REAL NOT NULL, reason TEXT NOT NULL, attempts INTEGER, trace_id TEXT, timings TEXT);
CREATE INDEX IF NOT EXISTS results_by_check ON results (check_id, region, at);
CREATE INDEX IF NOT EXISTS results_by_time ON results (at);
CREATE TABLE IF NOT EXISTS states (check_id TEXT PRIMARY KEY, version INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT PRIMARY KEY, check_id TEXT NOT NULL, opened_at INTEGER NOT NULL, resolved_at INTEGER, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS incidents_by_time ON incidents (opened_at);
CREATE TABLE IF NOT EXISTS timeline (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, check_id TEXT NOT NULL, incident_id TEXT, at INTEGER NOT NULL,
  kind TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS timeline_by_incident ON timeline (incident_id, seq);
CREATE TABLE IF NOT EXISTS outbox (
  key TEXT PRIMARY KEY, effect TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL, next_at INTEGER NOT NULL, settled_at INTEGER, last_error TEXT);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_at);
CREATE INDEX IF NOT EXISTS outbox_by_age ON outbox (status, created_at, key, next_at);
CREATE TABLE IF NOT EXISTS pings (check_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ping_failures (check_id TEXT PRIMARY KEY, at INTEGER NOT NULL, message TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reaction_memos (check_id TEXT NOT NULL, reaction TEXT NOT NULL, memo TEXT NOT NULL, PRIMARY KEY (check_id, reaction));
CREATE TABLE IF NOT EXISTS watched (check_id TEXT PRIMARY KEY, since INTEGER NOT NULL);
`;

interface ResultRow {
  check_id: string;
  region: string;
  at: number;
  ok: number;
  latency_ms: number;
  reason: string;
  attempts: number | null;
  trace_id: string | null;
  timings: string | null;
}

export class SqliteStore implements EngineStore {
  readonly db: Database.Database;
  private readonly stmt;

  /** @param file path of the database file, or `:memory:`. */
  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 2000');
    this.db.exec(SCHEMA);
    migrateOutboxGroups(this.db);
    const db = this.db;
    this.stmt = {
      insertResult: db.prepare(`INSERT INTO results (check_id, region, at, ok, latency_ms, reason, attempts, trace_id, timings)
        VALUES (@check, @region, @at, @ok, @latencyMs, @reason, @attempts, @traceId, @timings)`),
      latest: db.prepare(`SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY check_id, region ORDER BY at DESC, rowid DESC) AS n
        FROM results) WHERE n = 1`),
      recent: db.prepare('SELECT * FROM results WHERE check_id = ? ORDER BY at DESC LIMIT ?'),
      prune: db.prepare('DELETE FROM results WHERE at < ?'),
      pruneOutbox: db.prepare("DELETE FROM outbox WHERE status IN ('done', 'dead') AND settled_at < ?"),
      getState: db.prepare('SELECT version, body FROM states WHERE check_id = ?'),
      allStates: db.prepare('SELECT version, body FROM states'),
      insertState: db.prepare('INSERT INTO states (check_id, version, body) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      updateState: db.prepare('UPDATE states SET version = ?, body = ? WHERE check_id = ? AND version = ?'),
      insertIncident: db.prepare('INSERT OR IGNORE INTO incidents (id, check_id, opened_at, resolved_at, body) VALUES (?, ?, ?, NULL, ?)'),
      resolveIncident: db.prepare('UPDATE incidents SET resolved_at = ?, body = ? WHERE id = ?'),
      listIncidents: db.prepare('SELECT body FROM incidents ORDER BY opened_at DESC, id DESC LIMIT ?'),
      getIncident: db.prepare('SELECT body FROM incidents WHERE id = ?'),
      attachTimeline: db.prepare('UPDATE timeline SET incident_id = ? WHERE check_id = ? AND incident_id IS NULL AND at >= ?'),
      openIncident: db.prepare('SELECT body FROM incidents WHERE check_id = ? AND resolved_at IS NULL ORDER BY opened_at DESC LIMIT 1'),
      addTimeline: db.prepare('INSERT INTO timeline (check_id, incident_id, at, kind, detail) VALUES (?, ?, ?, ?, ?)'),
      timeline: db.prepare('SELECT check_id, incident_id, at, kind, detail FROM timeline WHERE incident_id = ? ORDER BY seq'),
      enqueue: db.prepare("INSERT OR IGNORE INTO outbox (key, effect, status, created_at, next_at, grp) VALUES (?, ?, 'pending', ?, ?, ?)"),
      // The due heads of their order groups (delivery-order.ts): pending, due, and no earlier
      // unsettled item in the group; oldest first. Indexed: no read of every unsettled item.
      runnable: db.prepare(`SELECT o.key, o.effect, o.attempts, o.created_at FROM outbox o INDEXED BY outbox_by_age
        WHERE o.status = 'pending' AND o.next_at <= ?
          AND (o.grp IS NULL OR NOT EXISTS (SELECT 1 FROM outbox p WHERE p.grp = o.grp AND p.status IN ('pending', 'claimed') AND p.rowid < o.rowid))
        ORDER BY o.created_at, o.key LIMIT ? OFFSET ?`),
      shiftPending: db.prepare("UPDATE outbox SET next_at = next_at + ? WHERE status = 'pending'"),
      anyDue: db.prepare("SELECT 1 FROM outbox WHERE status = 'pending' AND next_at <= ? LIMIT 1"),
      claim: db.prepare("UPDATE outbox SET status = 'claimed', attempts = attempts + 1 WHERE key = ? AND status = 'pending'"),
      complete: db.prepare("UPDATE outbox SET status = 'done', settled_at = ?, last_error = NULL WHERE key = ?"),
      retry: db.prepare("UPDATE outbox SET status = 'pending', next_at = ?, last_error = ? WHERE key = ? AND status NOT IN ('done', 'dead')"),
      giveUp: db.prepare("UPDATE outbox SET status = 'dead', settled_at = ?, last_error = ? WHERE key = ?"),
      claimed: db.prepare("SELECT key, effect, attempts, created_at FROM outbox WHERE status = 'claimed' ORDER BY created_at"),
      pending: db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE status IN ('pending', 'claimed')"),
      ping: db.prepare('INSERT INTO pings (check_id, at) VALUES (?, ?) ON CONFLICT (check_id) DO UPDATE SET at = MAX(at, excluded.at)'),
      pings: db.prepare('SELECT check_id, at FROM pings'),
      pingFailure: db.prepare(`INSERT INTO ping_failures (check_id, at, message) VALUES (?, ?, ?)
        ON CONFLICT (check_id) DO UPDATE SET at = excluded.at, message = excluded.message WHERE excluded.at >= ping_failures.at`),
      pingFailures: db.prepare('SELECT check_id, at, message FROM ping_failures'),
      saveMemo: db.prepare('INSERT INTO reaction_memos (check_id, reaction, memo) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET memo = excluded.memo'),
      loadMemo: db.prepare('SELECT memo FROM reaction_memos WHERE check_id = ? AND reaction = ?'),
      watch: db.prepare('INSERT OR IGNORE INTO watched (check_id, since) VALUES (?, ?)'),
      watched: db.prepare('SELECT check_id, since FROM watched'),
    };
  }

  async appendResults(results: ProbeResult[]): Promise<void> {
    if (results.length === 0) return;
    this.db.transaction((rows: ProbeResult[]) => {
      for (const r of rows) {
        this.stmt.insertResult.run({
          check: r.check,
          region: r.region,
          at: r.at,
          ok: r.ok ? 1 : 0,
          latencyMs: Math.round(r.latencyMs * 10) / 10,
          reason: r.reason,
          attempts: r.attempts ?? null,
          traceId: r.traceId ?? null,
          timings: r.timings ? JSON.stringify(r.timings) : null,
        });
      }
    })(results);
  }

  async latestResults(): Promise<ProbeResult[]> {
    return (this.stmt.latest.all() as ResultRow[]).map(toResult);
  }

  async recentResults(check: string, limit: number): Promise<ProbeResult[]> {
    return (this.stmt.recent.all(check, limit) as ResultRow[]).map(toResult);
  }

  async pruneResults(before: number): Promise<number> {
    this.stmt.pruneOutbox.run(before);
    return this.stmt.prune.run(before).changes;
  }

  async getState(check: string): Promise<CheckState | undefined> {
    const row = this.stmt.getState.get(check) as { version: number; body: string } | undefined;
    return row ? { ...(JSON.parse(row.body) as CheckState), version: row.version } : undefined;
  }

  async listStates(): Promise<CheckState[]> {
    return (this.stmt.allStates.all() as { version: number; body: string }[]).map((row) => ({ ...(JSON.parse(row.body) as CheckState), version: row.version }));
  }

  async commit(c: Commit): Promise<boolean> {
    return this.db.transaction(() => {
      const version = c.expectedVersion + 1;
      const body = JSON.stringify({ ...c.state, version });
      const written = c.expectedVersion === 0
        ? this.stmt.insertState.run(c.check, version, body).changes
        : this.stmt.updateState.run(version, body, c.check, c.expectedVersion).changes;
      if (written === 0) return false;
      if (c.opened) {
        this.stmt.insertIncident.run(c.opened.id, c.check, Date.parse(c.opened.openedAt), JSON.stringify(c.opened));
        this.stmt.attachTimeline.run(c.opened.id, c.check, c.outageStartedAt ?? c.at);
        this.stmt.addTimeline.run(c.check, c.opened.id, c.at, 'opened', c.opened.reason);
      }
      if (c.resolved) {
        this.stmt.resolveIncident.run(Date.parse(c.resolved.resolvedAt!), JSON.stringify(c.resolved), c.resolved.id);
        this.stmt.addTimeline.run(c.check, c.resolved.id, c.at, 'resolved', `up again after ${c.resolved.durationSeconds}s`);
      }
      for (const e of c.effects) this.stmt.enqueue.run(e.key, JSON.stringify(e), c.at, c.at, orderGroup(e) ?? null);
      return true;
    })();
  }

  async claimDue(now: number, limit: number, accept?: (effect: Effect) => boolean): Promise<OutboxItem[]> {
    return this.db.transaction(() => {
      if (!this.stmt.anyDue.get(now)) return []; // the common case: one indexed probe, no parsing
      const out: OutboxItem[] = [];
      // Pages of candidates, in order, until `limit` are accepted (accept may refuse a full lane).
      const page = Math.max(64, limit * 4);
      // Claimed rows leave the candidates; the ones passed over stay: they are what the next page skips.
      for (let passed = 0; out.length < limit;) {
        const rows = this.stmt.runnable.all(now, page, passed) as { key: string; effect: string; attempts: number; created_at: number }[];
        for (const r of rows) {
          if (out.length >= limit) break;
          const effect = JSON.parse(r.effect) as Effect;
          if ((!accept || accept(effect)) && this.stmt.claim.run(r.key).changes === 1) out.push({ key: r.key, effect, attempts: r.attempts + 1, createdAt: r.created_at });
          else passed++;
        }
        if (rows.length < page) break;
      }
      return out;
    })();
  }

  /** The wall clock stepped by `deltaMs`: pending retries move with it, so a retry due in 4 s stays due in 4 s. */
  async shiftPendingRetries(deltaMs: number): Promise<void> {
    this.stmt.shiftPending.run(Math.round(deltaMs));
  }

  async enqueue(effects: Effect[], at: number): Promise<void> {
    this.db.transaction(() => {
      for (const e of effects) this.stmt.enqueue.run(e.key, JSON.stringify(e), at, at, orderGroup(e) ?? null);
    })();
  }

  async complete(key: string, at: number): Promise<void> {
    this.stmt.complete.run(at, key);
  }

  async retryLater(key: string, error: string, nextAt: number): Promise<void> {
    this.stmt.retry.run(nextAt, error, key);
  }

  async giveUp(key: string, error: string, at: number): Promise<void> {
    this.stmt.giveUp.run(at, error, key);
  }

  async recoverInterrupted(): Promise<OutboxItem[]> {
    const rows = this.stmt.claimed.all() as { key: string; effect: string; attempts: number; created_at: number }[];
    return rows.map((r) => ({ key: r.key, effect: JSON.parse(r.effect) as Effect, attempts: r.attempts, createdAt: r.created_at }));
  }

  async pendingCount(): Promise<number> {
    return (this.stmt.pending.get() as { n: number }).n;
  }

  async listIncidents(limit: number): Promise<Incident[]> {
    return (this.stmt.listIncidents.all(limit) as { body: string }[]).map((r) => JSON.parse(r.body) as Incident);
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    const row = this.stmt.getIncident.get(id) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as Incident) : undefined;
  }

  async openIncident(check: string): Promise<Incident | undefined> {
    const row = this.stmt.openIncident.get(check) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as Incident) : undefined;
  }

  async timeline(incidentId: string): Promise<TimelineEntry[]> {
    return (this.stmt.timeline.all(incidentId) as { check_id: string; incident_id: string; at: number; kind: TimelineEntry['kind']; detail: string }[])
      .map((r) => ({ check: r.check_id, incidentId: r.incident_id, at: r.at, kind: r.kind, detail: r.detail }));
  }

  async addTimeline(e: TimelineEntry): Promise<void> {
    this.stmt.addTimeline.run(e.check, e.incidentId, e.at, e.kind, e.detail);
  }

  async recordPing(check: string, at: number): Promise<void> {
    this.stmt.ping.run(check, at);
  }

  async lastPings(): Promise<Map<string, number>> {
    return new Map((this.stmt.pings.all() as { check_id: string; at: number }[]).map((r) => [r.check_id, r.at]));
  }

  async recordPingFailure(check: string, at: number, message: string): Promise<void> {
    this.stmt.pingFailure.run(check, at, message);
  }

  async lastPingFailures(): Promise<Map<string, { at: number; message: string }>> {
    return new Map((this.stmt.pingFailures.all() as { check_id: string; at: number; message: string }[]).map((r) => [r.check_id, { at: r.at, message: r.message }]));
  }

  async saveMemo(check: string, reaction: string, memo: unknown): Promise<void> {
    this.stmt.saveMemo.run(check, reaction, JSON.stringify(memo ?? null));
  }

  async loadMemo(check: string, reaction: string): Promise<unknown> {
    const row = this.stmt.loadMemo.get(check, reaction) as { memo: string } | undefined;
    return row ? JSON.parse(row.memo) : undefined;
  }

  async watchStart(checks: string[], now: number): Promise<Map<string, number>> {
    this.db.transaction(() => {
      for (const c of checks) this.stmt.watch.run(c, now);
    })();
    return new Map((this.stmt.watched.all() as { check_id: string; since: number }[]).map((r) => [r.check_id, r.since]));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function toResult(r: ResultRow): ProbeResult {
  return {
    check: r.check_id,
    region: r.region,
    at: r.at,
    ok: r.ok === 1,
    latencyMs: r.latency_ms,
    reason: r.reason,
    ...(r.attempts !== null ? { attempts: r.attempts } : {}),
    ...(r.trace_id !== null ? { traceId: r.trace_id } : {}),
    ...(r.timings !== null ? { timings: JSON.parse(r.timings) } : {}),
  };
}

/**
 * Outbox rows carry their order group (delivery-order.ts) so the runnable ones are found by index.
 * A database from before has no such column: it is added, and filled for the rows still to run.
 */
function migrateOutboxGroups(db: Database.Database): void {
  const columns = db.prepare('PRAGMA table_info(outbox)').all() as { name: string }[];
  if (!columns.some((c) => c.name === 'grp')) {
    db.transaction(() => {
      db.exec('ALTER TABLE outbox ADD COLUMN grp TEXT');
      const fill = db.prepare('UPDATE outbox SET grp = ? WHERE key = ?');
      for (const row of db.prepare("SELECT key, effect FROM outbox WHERE status IN ('pending', 'claimed')").all() as { key: string; effect: string }[]) {
        fill.run(orderGroup(JSON.parse(row.effect) as Effect) ?? null, row.key);
      }
    })();
  }
  db.exec('CREATE INDEX IF NOT EXISTS outbox_by_group ON outbox (grp, status)');
}

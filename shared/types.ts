/**
 * The engine's domain types: what a probe reports, what the reducer keeps per check,
 * and the effects it asks the outside world to carry out.
 */

/** Severity of a service, as in Cabot. */
export type Severity = 'critical' | 'warning' | 'info';

/** Phase timings of one HTTP probe, in milliseconds. Absent phases (no TLS, an IP literal) are omitted. */
export interface PhaseTimings {
  dns?: number;
  connect?: number;
  tls?: number;
  firstByte?: number;
  total: number;
}

/** The verdict of one check round (after its immediate re-tries), from one region. */
export interface ProbeResult {
  /** Check id, `service/check`. */
  check: string;
  /** Region that ran the probe; `local` on one machine. Pushed results (hooks, heartbeats) use `push`. */
  region: string;
  /** Epoch milliseconds when the round finished (wall clock: for people, never for ordering). */
  at: number;
  /**
   * Orders a check's results: never goes backwards when the wall clock does (a per-process monotonic
   * sequence locally, the planned round time on AWS). Absent: `at` orders.
   */
  seq?: number;
  ok: boolean;
  /** Wall time of the last attempt, in ms. */
  latencyMs: number;
  /** Why the round failed (or a short note on success), in words a person reads in an alert. */
  reason: string;
  /** Attempts made in this round (1 + re-tries used). */
  attempts?: number;
  /** The trace id appended to the URL when `traceParam` is set. */
  traceId?: string;
  timings?: PhaseTimings;
  /** True for a result pushed by another tool (hook, failed ping, missed heartbeat): already confirmed. */
  pushed?: boolean;
}

export type RegionStatus = 'pending' | 'up' | 'down';

/** What the reducer remembers of one region of one check. Only fields that change on a transition. */
export interface RegionState {
  status: RegionStatus;
  /** Consecutive failed rounds, capped so that a steady outage does not change the state. */
  failures: number;
  /** Consecutive good rounds, capped likewise. */
  successes: number;
  /** Epoch ms of the last status change. */
  since: number;
  /** Epoch ms of the last result that changed this record. */
  at: number;
  /** Order (`seq`, else `at`) of the last result that changed this record: older or equal ones are duplicates. */
  seq?: number;
  /** While failing: the first failed round's reason, replaced by the confirming round's once down. */
  reason?: string;
  /** Epoch ms of the first failed round of the current failing streak. */
  failingSince?: number;
}

/** An incident as every channel and the API see it. */
export interface Incident {
  id: string;
  check: string;
  service: string;
  group: string | null;
  severity: Severity;
  /** ISO-8601, the outage's first failed round (`durationSeconds` counts from here). */
  startedAt?: string;
  /** ISO-8601, when the outage was confirmed. */
  openedAt: string;
  resolvedAt: string | null;
  durationSeconds: number | null;
  reason: string;
  /** Why it was resolved, when not because the check passed again (e.g. `check removed from the config`). */
  resolution?: string;
  regions: Record<string, RegionStatus>;
  traceId?: string;
}

/** Per-check reducer state. `version` is the optimistic-locking counter of the store. */
export interface CheckState {
  check: string;
  version: number;
  regions: Record<string, RegionState>;
  /** The open incident, if any. */
  incident: Incident | null;
  /** The channels told of the open incident (so a check removed from the config can still be resolved there). */
  alerted?: string[];
  /** Epoch ms of each reaction's last run for this check (the cooldown ledger). */
  reactions: Record<string, { lastRunAt?: number; lastSkipAt?: number; needsRevert?: boolean }>;
}

export type NotifyEventName = 'incident.opened' | 'incident.resolved' | 'incident.reminder' | 'reaction.ran';

/** A reaction's outcome, as recorded in the timeline and sent as `reaction.ran`. */
export interface ReactionOutcome {
  reaction: string;
  type: string;
  outcome: 'executed' | 'failed' | 'skipped';
  detail: string;
  at: string;
}

/** The body a webhook channel receives (DESIGN.md, "What a webhook channel receives"). */
export interface NotifyEvent {
  event: NotifyEventName;
  incident: Incident;
  reaction?: ReactionOutcome;
}

/** The periodic digest (`settings.summary`): states and incidents at a glance. */
export interface Summary {
  at: string;
  /** The period the incident counts cover, in seconds (0 for the digest sent at start-up). */
  periodSeconds: number;
  checks: number;
  up: number;
  down: number;
  degraded: number;
  pending: number;
  /** Open incidents, oldest first. */
  open: { check: string; since: string; reason: string }[];
  /** Incidents opened and resolved within the period. */
  opened: number;
  resolved: number;
}

export interface SummaryEvent {
  event: 'summary';
  summary: Summary;
}

/** Everything a channel can be asked to send. */
export type OutboundEvent = NotifyEvent | SummaryEvent;

/** Effects are data: executed later, exactly once per `key`, from a persisted outbox. */
export type Effect =
  | { kind: 'notify'; key: string; channel: string; payload: OutboundEvent }
  | {
      kind: 'react';
      key: string;
      reaction: string;
      check: string;
      incident: Incident | null;
      decision: 'run' | 'skip' | 'revert';
      /** Why it was skipped, or what triggered it. */
      why: string;
      /** Channels to tell with `reaction.ran` once the outcome is known. */
      announceTo: string[];
    };

/** One line in an incident's (or a check's) timeline. */
export interface TimelineEntry {
  check: string;
  incidentId: string | null;
  at: number;
  kind: 'opened' | 'resolved' | 'reaction' | 'notified' | 'notify-failed';
  detail: string;
}

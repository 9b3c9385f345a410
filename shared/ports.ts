/**
 * What the engine needs from the world. `shared/adapters/local` implements these with SQLite;
 * the AWS adapters implement them with DynamoDB and SQS. Only composition roots pick one.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { CheckState, Effect, Incident, ProbeResult, TimelineEntry } from './types.ts';

/** AWS SDK clients for reactions and channels that call AWS; built once per process, per region. */
export interface AwsClients {
  ec2(region: string): EC2Client;
  route53(): Route53Client;
  sns(region: string): SNSClient;
}

/** Where the engine writes what happened. `debug` lines are for diagnosing and hidden by default. */
export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A state transition to persist atomically, with its incident records and its effects. */
export interface Commit {
  check: string;
  /** The version the new state was computed from; the commit fails if the stored one differs. */
  expectedVersion: number;
  state: CheckState;
  opened?: Incident;
  /** With `opened`: timeline entries of the check since then (reactions before confirmation) join the incident. */
  outageStartedAt?: number;
  resolved?: Incident;
  /** Enqueued in the outbox in the same transaction; a key already present is ignored. */
  effects: Effect[];
  at: number;
}

export interface StateStore {
  getState(check: string): Promise<CheckState | undefined>;
  listStates(): Promise<CheckState[]>;
  /** @returns false on a version conflict (someone else committed first): re-read and re-apply. */
  commit(commit: Commit): Promise<boolean>;
  /** A counter every commit increases, where several processes share the store (DynamoDB). */
  stateEpoch?(): Promise<number>;
}

export interface ResultStore {
  appendResults(results: ProbeResult[]): Promise<void>;
  /** The newest result of every (check, region). */
  latestResults(): Promise<ProbeResult[]>;
  /** Results of one check, newest first. */
  recentResults(check: string, limit: number): Promise<ProbeResult[]>;
  /** Delete results older than `before`; returns how many went. */
  pruneResults(before: number): Promise<number>;
}

export interface OutboxItem {
  key: string;
  effect: Effect;
  attempts: number;
  createdAt: number;
}

export interface Outbox {
  /**
   * Effects whose time has come, oldest first, each claimed until settled. An item waits while an
   * earlier one of its order group is unsettled (see engine/delivery-order.ts); `accept` is asked
   * in order and may decline an item (its lane is full), which stays pending.
   */
  claimDue(now: number, limit: number, accept?: (effect: Effect) => boolean): Promise<OutboxItem[]>;
  /** Enqueue effects produced outside a commit (announcements of a reaction's outcome). */
  enqueue(effects: Effect[], at: number): Promise<void>;
  complete(key: string, at: number): Promise<void>;
  retryLater(key: string, error: string, nextAt: number): Promise<void>;
  giveUp(key: string, error: string, at: number): Promise<void>;
  /** Items claimed by a process that died: notifications go back to pending, reactions are returned. */
  recoverInterrupted(): Promise<OutboxItem[]>;
  pendingCount(): Promise<number>;
}

export interface IncidentStore {
  /** Newest first. */
  listIncidents(limit: number): Promise<Incident[]>;
  getIncident(id: string): Promise<Incident | undefined>;
  /** The check's open incident, if any. */
  openIncident(check: string): Promise<Incident | undefined>;
  timeline(incidentId: string): Promise<TimelineEntry[]>;
  addTimeline(entry: TimelineEntry): Promise<void>;
}

export interface HeartbeatStore {
  recordPing(check: string, at: number): Promise<void>;
  lastPings(): Promise<Map<string, number>>;
  /** A failure reported with `/ping/{token}/fail`; it holds until a later ping. */
  recordPingFailure(check: string, at: number, message: string): Promise<void>;
  lastPingFailures(): Promise<Map<string, { at: number; message: string }>>;
  /** When each check was first watched; checks not yet known are recorded as first watched `now`. */
  watchStart(checks: string[], now: number): Promise<Map<string, number>>;
}

/** What a reaction remembers between running and reverting (e.g. a DNS record's original target). */
export interface ReactionMemos {
  saveMemo(check: string, reaction: string, memo: unknown): Promise<void>;
  loadMemo(check: string, reaction: string): Promise<unknown>;
}

/** Everything the engine keeps. */
export interface EngineStore extends StateStore, ResultStore, Outbox, IncidentStore, HeartbeatStore, ReactionMemos {
  close(): void;
}

/** Where the scheduler sends each prober region its batches (SQS on AWS). */
export interface ProbeQueue {
  /** Send every message to the region's queue; throws if any could not be sent after retries. */
  send(region: string, messages: { delaySeconds: number; at: number; checks: string[] }[]): Promise<void>;
}

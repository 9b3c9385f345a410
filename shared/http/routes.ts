/**
 * The HTTP routes as plain functions of a request, shared by the local server and (later) the
 * API Gateway functions. Statuses, bodies and tokens as DESIGN.md specifies.
 */
import { timingSafeEqual } from 'node:crypto';
import type { CompiledCheck, CompiledConfig } from '../config/compile.ts';
import type { Clock } from '../ports.ts';
import type { CheckState, Incident, ProbeResult, TimelineEntry } from '../types.ts';
import { PUSH_REGION } from '../engine/reducer.ts';
import { checkKinds } from '../checks/index.ts';
import { overallState } from '../engine/summary.ts';
import { parseHook, HookError } from './hooks.ts';
import { dashboardHtml } from './dashboard.ts';

/** Bodies over this size get 413. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface ApiRequest {
  method: string;
  /** Path without the query string, e.g. `/status/checkout`. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body?: string;
  /** True when the body was over MAX_BODY_BYTES (and was not read further). */
  bodyTooLarge?: boolean;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What the routes read and do; the local engine and the AWS functions each provide one. */
export interface RouteDeps {
  config: CompiledConfig;
  clock: Clock;
  states(): Promise<Map<string, CheckState>>;
  latestResults(): Promise<ProbeResult[]>;
  listIncidents(limit: number): Promise<Incident[]>;
  getIncident(id: string): Promise<Incident | undefined>;
  timeline(incidentId: string): Promise<TimelineEntry[]>;
  /** Epoch ms of the last finished check round, if any. */
  lastRoundAt(): Promise<number | undefined>;
  /** Why the engine cannot do its job right now (a store that cannot write, ...), or undefined when it can. */
  problem(): Promise<string | undefined>;
  /** Feed a pushed result to the engine (results + evaluator). */
  push(result: ProbeResult): Promise<void>;
  recordPing(check: string, at: number): Promise<void>;
  recordPingFailure(check: string, at: number, message: string): Promise<void>;
}

const text = (status: number, body: string, extra: Record<string, string> = {}): ApiResponse => ({
  status,
  headers: { 'content-type': 'text/plain; charset=utf-8', ...extra },
  body: body.endsWith('\n') ? body : `${body}\n`,
});
const json = (status: number, value: unknown): ApiResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(value),
});
const wantsJson = (req: ApiRequest) => (req.headers.accept ?? '').includes('application/json');
const fail = (req: ApiRequest, status: number, message: string): ApiResponse =>
  wantsJson(req) || req.path.startsWith('/api/') || req.path.startsWith('/hooks/') ? json(status, { error: message }) : text(status, message);

export function createRouter(deps: RouteDeps): (req: ApiRequest) => Promise<ApiResponse> {
  const checksById = new Map(deps.config.checks.map((c) => [c.id, c]));
  const heartbeatTokens = new Map(deps.config.checks.filter((c) => c.kind === 'heartbeat').map((c) => [c.spec.token as string, c]));
  const servicesByName = new Map(deps.config.services.map((s) => [s.name, s]));

  const authorized = (req: ApiRequest, token: string | undefined): boolean => {
    if (!token) return true;
    const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim() ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const unauthorized = (req: ApiRequest) => ({
    ...fail(req, 401, 'missing or wrong bearer token'),
    headers: { ...fail(req, 401, '').headers, 'www-authenticate': 'Bearer realm="pagerless"' },
  });

  async function status(req: ApiRequest, service: string | undefined): Promise<ApiResponse> {
    if (!authorized(req, deps.config.settings.statusToken)) return unauthorized(req);
    let scope: CompiledCheck[];
    if (service !== undefined) {
      if (!servicesByName.has(service)) return fail(req, 404, `unknown service "${service}"`);
      scope = deps.config.checks.filter((c) => c.service === service);
    } else {
      scope = deps.config.checks;
    }
    const group = req.query.get('group');
    if (group) {
      scope = scope.filter((c) => c.group !== null && (c.group === group || c.group.startsWith(`${group}/`)));
      if (scope.length === 0) return fail(req, 404, `no service in group "${group}"`);
    }
    const states = await deps.states();
    const failing = scope.flatMap((c) => {
      const inc = states.get(c.id)?.incident;
      return inc ? [{ check: c.id, since: inc.openedAt, reason: inc.reason }] : [];
    });
    const headers = { 'cache-control': 'no-store' };
    if (wantsJson(req)) {
      return { ...json(failing.length ? 503 : 200, { status: failing.length ? 'down' : 'up', failing }), headers: { ...json(200, 0).headers, ...headers } };
    }
    return failing.length
      ? text(503, failing.map((f) => `${f.check}: ${f.reason}`).join('\n'), headers)
      : text(200, 'OK', headers);
  }

  async function health(): Promise<ApiResponse> {
    const [last, problem] = await Promise.all([deps.lastRoundAt(), deps.problem()]);
    if (problem) return text(503, `Checks not running: ${problem}`);
    // Heartbeats are evaluated on a schedule too, so they count as rounds; pushed-only configs have none.
    const scheduled = deps.config.checks.filter((c) => checkKinds[c.kind].mode === 'probe');
    const window = Math.min(5 * 60_000, 3 * Math.min(...scheduled.map((c) => c.intervalMs)));
    const running = scheduled.length === 0 || (last !== undefined && deps.clock.now() - last <= window);
    return running ? text(200, 'Checks running') : text(503, 'Checks not running');
  }

  async function ping(req: ApiRequest, token: string, failed: boolean): Promise<ApiResponse> {
    const check = heartbeatTokens.get(token);
    if (!check) return text(404, 'unknown ping token');
    const at = deps.clock.now();
    const message = failed ? (req.query.get('message') ?? req.body?.trim().slice(0, 500)) || 'the job reported a failure' : 'ping received';
    if (failed) await deps.recordPingFailure(check.id, at, message);
    else await deps.recordPing(check.id, at);
    await deps.push({ check: check.id, region: PUSH_REGION, at, ok: !failed, latencyMs: 0, reason: failed ? message : 'ping received', pushed: true });
    return text(200, failed ? 'failure recorded' : 'OK');
  }

  async function hook(req: ApiRequest, source: string): Promise<ApiResponse> {
    if (!authorized(req, deps.config.settings.ingestToken)) return unauthorized(req);
    if (req.bodyTooLarge) return fail(req, 413, `body over ${MAX_BODY_BYTES / 1024} KB`);
    let parsed;
    try {
      parsed = parseHook(source, req.body ?? '');
    } catch (err) {
      if (err instanceof HookError) return fail(req, err.status, err.message);
      throw err;
    }
    const accepted: string[] = [];
    for (const alert of parsed) {
      const check = checksById.get(alert.check);
      if (!check || check.kind !== 'webhook' || check.spec.source !== source) {
        return fail(req, 404, `no webhook check "${alert.check}" with source ${source}`);
      }
    }
    const at = deps.clock.now();
    for (const alert of parsed) {
      await deps.push({ check: alert.check, region: PUSH_REGION, at, ok: alert.status === 'up', latencyMs: 0, reason: alert.message || (alert.status === 'up' ? 'reported up' : 'reported down'), pushed: true });
      accepted.push(alert.check);
    }
    return json(202, { accepted });
  }

  async function apiChecks(req: ApiRequest): Promise<ApiResponse> {
    if (!authorized(req, deps.config.settings.statusToken)) return unauthorized(req);
    const [states, latest] = await Promise.all([deps.states(), deps.latestResults()]);
    const byCheck = new Map<string, ProbeResult[]>();
    for (const r of latest) byCheck.set(r.check, [...(byCheck.get(r.check) ?? []), r]);
    const checks = deps.config.checks.map((c) => {
      const st = states.get(c.id);
      const results = byCheck.get(c.id) ?? [];
      const regions: Record<string, { state: string; at: string; latencyMs: number; reason: string }> = {};
      for (const r of results) {
        regions[r.region] = { state: st?.regions[r.region]?.status ?? 'pending', at: new Date(r.at).toISOString(), latencyMs: r.latencyMs, reason: r.reason };
      }
      const state = overallState(st, results.length > 0);
      return { check: c.id, service: c.service, group: c.group, kind: c.kind, target: c.target, severity: c.severity, intervalSeconds: c.intervalMs / 1000, state, regions, incident: st?.incident ?? null };
    });
    return json(200, { checks });
  }

  async function apiIncidents(req: ApiRequest, id?: string): Promise<ApiResponse> {
    if (!authorized(req, deps.config.settings.statusToken)) return unauthorized(req);
    if (id !== undefined) {
      const incident = await deps.getIncident(id);
      if (!incident) return fail(req, 404, `unknown incident "${id}"`);
      return json(200, { incident, timeline: (await deps.timeline(id)).map((t) => ({ at: new Date(t.at).toISOString(), kind: t.kind, detail: t.detail })) });
    }
    const limit = Math.min(Math.max(Number(req.query.get('limit') ?? 100) || 100, 1), 1000);
    return json(200, { incidents: await deps.listIncidents(limit) });
  }

  return async function route(req: ApiRequest): Promise<ApiResponse> {
    const segments = req.path.split('/').filter(Boolean).map(decodeURIComponentSafe);
    const [first, second, third, ...rest] = segments;
    const get = req.method === 'GET' || req.method === 'HEAD';
    const only = (ok: boolean, allow: string) => {
      if (ok) return undefined;
      const res = fail(req, 405, `method ${req.method} not allowed`);
      return { ...res, headers: { ...res.headers, allow } };
    };
    if (segments.length === 0) return only(get, 'GET') ?? { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: dashboardHtml() };
    switch (first) {
      case 'status':
        if (third !== undefined) break;
        return only(get, 'GET') ?? status(req, second);
      case 'health':
        if (second !== undefined) break;
        return only(get, 'GET') ?? health();
      case 'ping':
        if (second === undefined || rest.length > 0 || (third !== undefined && third !== 'fail')) break;
        return only(get || req.method === 'POST', 'GET, POST') ?? ping(req, second, third === 'fail');
      case 'hooks':
        if (second === undefined || third !== undefined) break;
        return only(req.method === 'POST', 'POST') ?? hook(req, second);
      case 'api':
        if (second === 'checks' && third === undefined) return only(get, 'GET') ?? apiChecks(req);
        if (second === 'incidents' && rest.length === 0) return only(get, 'GET') ?? apiIncidents(req, third);
        break;
      default:
        break;
    }
    return fail(req, 404, `no route ${req.method} ${req.path}`);
  };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

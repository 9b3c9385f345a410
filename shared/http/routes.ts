/**
 * The HTTP routes as plain functions of a request, shared by the local server and the API Gateway
 * functions. Statuses, bodies and tokens as DESIGN.md specifies. A request is admitted from its head
 * (one canonical path per route, method, bearer token, declared size) before any body is read.
 */
import { timingSafeEqual } from 'node:crypto';
import type { CompiledCheck, CompiledConfig } from '../config/compile.ts';
import type { Clock } from '../ports.ts';
import type { CheckState, Incident, ProbeResult, TimelineEntry } from '../types.ts';
import { PUSH_REGION } from '../engine/reducer.ts';
import { hookSourceOf, isScheduled, pingTokenOf } from '../checks/index.ts';
import { overallState } from '../engine/summary.ts';
import { parseHook, HookError, unknownHookSource } from './hooks.ts';
import { dashboardHtml } from './dashboard.ts';

/** Bodies over this size get 413. */
export const MAX_BODY_BYTES = 256 * 1024;

/** What is known of a request before its body: enough to route and authorize it. */
export interface ApiRequestHead {
  method: string;
  /** Path without the query string, as the client sent it (still percent-encoded), e.g. `/status/checkout`. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
}

export interface ApiRequest extends ApiRequestHead {
  body?: string;
  /** True when the body was over MAX_BODY_BYTES (and was not read further). */
  bodyTooLarge?: boolean;
}

/** A request body as the adapter read it. */
export interface ApiBody {
  text: string;
  /** Over MAX_BODY_BYTES: the route answers 413 and `text` is not used. */
  tooLarge: boolean;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * What the router decides from a request's head alone: an answer now (a bad path, no route, a wrong
 * method or token, a declared body over the limit), or go on: read the body when `readsBody`, then `respond`.
 */
export type Admission = { answer: ApiResponse } | { readsBody: boolean; respond(body: ApiBody): Promise<ApiResponse> };

/**
 * The routes. Call it with a whole request (API Gateway, tests); a server that streams bodies calls
 * `admit` first, so that a stranger is answered before a byte of its body is read.
 */
export interface Router {
  (req: ApiRequest): Promise<ApiResponse>;
  admit(head: ApiRequestHead): Admission;
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
const wantsJson = (req: ApiRequestHead) => (req.headers.accept ?? '').includes('application/json');
const fail = (req: ApiRequestHead, status: number, message: string): ApiResponse =>
  wantsJson(req) || req.path.startsWith('/api/') || req.path.startsWith('/hooks/') ? json(status, { error: message }) : text(status, message);

/** One route once matched: who may call it, whether it reads a body, and what it does. */
interface Route {
  allow: readonly string[];
  /** The bearer token the route requires, when one is configured. */
  token?: string | undefined;
  readsBody?: boolean;
  /** A refusal known from the head alone (an unknown ping token or hook source). */
  refuse?(req: ApiRequestHead): ApiResponse | undefined;
  handle(req: ApiRequestHead, body: ApiBody): Promise<ApiResponse>;
}

const GET = ['GET', 'HEAD'] as const;

export function createRouter(deps: RouteDeps): Router {
  const checksById = new Map(deps.config.checks.map((c) => [c.id, c]));
  const heartbeatTokens = new Map(deps.config.checks.flatMap((c) => { const token = pingTokenOf(c); return token === undefined ? [] : [[token, c] as const]; }));
  const servicesByName = new Map(deps.config.services.map((s) => [s.name, s]));
  const { statusToken, ingestToken } = deps.config.settings;

  const authorized = (req: ApiRequestHead, token: string | undefined): boolean => {
    if (!token) return true;
    const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim() ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const unauthorized = (req: ApiRequestHead) => ({
    ...fail(req, 401, 'missing or wrong bearer token'),
    headers: { ...fail(req, 401, '').headers, 'www-authenticate': 'Bearer realm="pagerless"' },
  });

  async function status(req: ApiRequestHead, service: string | undefined): Promise<ApiResponse> {
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
    const scheduled = deps.config.checks.filter(isScheduled);
    const window = Math.min(5 * 60_000, 3 * Math.min(...scheduled.map((c) => c.intervalMs)));
    const running = scheduled.length === 0 || (last !== undefined && deps.clock.now() - last <= window);
    return running ? text(200, 'Checks running') : text(503, 'Checks not running');
  }

  async function ping(req: ApiRequestHead, check: CompiledCheck, failed: boolean, body: ApiBody): Promise<ApiResponse> {
    const at = deps.clock.now();
    const message = failed ? (req.query.get('message') ?? body.text.trim().slice(0, 500)) || 'the job reported a failure' : 'ping received';
    if (failed) await deps.recordPingFailure(check.id, at, message);
    else await deps.recordPing(check.id, at);
    await deps.push({ check: check.id, region: PUSH_REGION, at, ok: !failed, latencyMs: 0, reason: failed ? message : 'ping received', pushed: true });
    return text(200, failed ? 'failure recorded' : 'OK');
  }

  async function hook(req: ApiRequestHead, source: string, body: ApiBody): Promise<ApiResponse> {
    let parsed;
    try {
      parsed = parseHook(source, body.text);
    } catch (err) {
      if (err instanceof HookError) return fail(req, err.status, err.message);
      throw err;
    }
    const accepted: string[] = [];
    for (const alert of parsed) {
      const check = checksById.get(alert.check);
      if (!check || hookSourceOf(check) !== source) {
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

  async function apiChecks(): Promise<ApiResponse> {
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

  async function apiIncidents(req: ApiRequestHead, id?: string): Promise<ApiResponse> {
    if (id !== undefined) {
      const incident = await deps.getIncident(id);
      if (!incident) return fail(req, 404, `unknown incident "${id}"`);
      return json(200, { incident, timeline: (await deps.timeline(id)).map((t) => ({ at: new Date(t.at).toISOString(), kind: t.kind, detail: t.detail })) });
    }
    const limit = Math.min(Math.max(Number(req.query.get('limit') ?? 100) || 100, 1), 1000);
    return json(200, { incidents: await deps.listIncidents(limit) });
  }

  /** The route a canonical path names, or undefined (404). */
  function match(segments: string[]): Route | undefined {
    const [first, second, third] = segments;
    const n = segments.length;
    if (n === 0) return { allow: GET, handle: async () => ({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: dashboardHtml() }) };
    switch (first) {
      case 'status':
        return n <= 2 ? { allow: GET, token: statusToken, handle: (req) => status(req, second) } : undefined;
      case 'health':
        return n === 1 ? { allow: GET, handle: () => health() } : undefined;
      case 'ping': {
        if (n < 2 || n > 3 || (n === 3 && third !== 'fail')) return undefined;
        const check = heartbeatTokens.get(second!);
        const failed = third === 'fail';
        return {
          allow: ['GET', 'HEAD', 'POST'],
          // Only a failure report reads its body (the message); it is capped like a hook's.
          readsBody: failed,
          refuse: () => (check ? undefined : text(404, 'unknown ping token')),
          handle: (req, body) => ping(req, check!, failed, body),
        };
      }
      case 'hooks':
        if (n !== 2) return undefined;
        return {
          allow: ['POST'],
          token: ingestToken,
          readsBody: true,
          refuse: (req) => {
            const unknown = unknownHookSource(second!);
            return unknown && fail(req, unknown.status, unknown.message);
          },
          handle: (req, body) => hook(req, second!, body),
        };
      case 'api':
        if (second === 'checks' && n === 2) return { allow: GET, token: statusToken, handle: () => apiChecks() };
        if (second === 'incidents' && n <= 3) return { allow: GET, token: statusToken, handle: (req) => apiIncidents(req, third) };
        return undefined;
      default:
        return undefined;
    }
  }

  function admit(req: ApiRequestHead): Admission {
    const parsed = parsePath(req.path);
    if ('problem' in parsed) return { answer: fail(req, 400, parsed.problem) };
    const route = match(parsed.segments);
    if (!route) return { answer: fail(req, 404, `no route ${req.method} ${req.path}`) };
    if (!route.allow.includes(req.method)) {
      const allow = route.allow.filter((m) => m !== 'HEAD').join(', ');
      const res = fail(req, 405, `method ${req.method} not allowed`);
      return { answer: { ...res, headers: { ...res.headers, allow } } };
    }
    if (!authorized(req, route.token)) return { answer: unauthorized(req) };
    const refused = route.refuse?.(req);
    if (refused) return { answer: refused };
    const tooLarge = { answer: fail(req, 413, `body over ${MAX_BODY_BYTES / 1024} KB`) };
    if (route.readsBody && Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return tooLarge;
    return {
      readsBody: route.readsBody ?? false,
      respond: (body) => (route.readsBody && body.tooLarge ? Promise.resolve(tooLarge.answer) : route.handle(req, body)),
    };
  }

  const router = async (req: ApiRequest): Promise<ApiResponse> => {
    const admission = admit(req);
    if ('answer' in admission) return admission.answer;
    return admission.respond({ text: req.body ?? '', tooLarge: req.bodyTooLarge ?? false });
  };
  return Object.assign(router, { admit });
}

/**
 * The segments of a canonical path, or why it is not one. Only one spelling of each route is served:
 * `//status` (which `new URL` reads as a host), `/status/`, `/./status`, `/status/%2e%2e` and encoded
 * slashes are refused with 400, so that no trick reaches the dashboard or a wrong scope with a 200.
 */
export function parsePath(path: string): { segments: string[] } | { problem: string } {
  if (path === '/') return { segments: [] };
  const bad = (why: string, suggestion?: string) => ({ problem: `bad path ${JSON.stringify(path)}: ${why}${suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : ''}` });
  if (!path.startsWith('/')) return bad('it must start with /');
  const raw = path.slice(1).split('/');
  const segments: string[] = [];
  for (const [i, s] of raw.entries()) {
    if (s === '') {
      const rest = `/${raw.filter(Boolean).join('/')}`;
      return i === raw.length - 1 ? bad('a trailing slash', rest) : bad('an empty segment (//)', rest);
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(s);
    } catch {
      return bad('bad percent-encoding');
    }
    if (decoded === '.' || decoded === '..') return bad('a dot segment');
    if (/[/\\]/.test(decoded)) return bad('an encoded slash or a backslash');
    if (/[\u0000-\u001f\u007f]/.test(decoded)) return bad('a control character');
    segments.push(decoded);
  }
  return { segments };
}

/** A path as it may be logged: whatever follows a `ping` segment (the only secret of /ping) becomes `***`. */
export function loggablePath(path: string): string {
  const parts = path.split(/\/|%2f/i);
  const at = parts.findIndex((p) => safeDecode(p).toLowerCase() === 'ping');
  if (at < 0) return path;
  return [...parts.slice(0, at + 1), ...parts.slice(at + 1).map((p) => (p === 'fail' || p === '' ? p : '***'))].join('/');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

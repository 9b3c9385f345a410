/** API Gateway (HTTP API, payload 2.0) in front of the shared routes, with DynamoDB behind them. */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createRouter, MAX_BODY_BYTES, type ApiRequest, type ApiResponse, type RouteDeps } from '../../http/routes.ts';
import type { CheckState } from '../../types.ts';
import { serveRuntime, type AwsRuntime } from './runtime.ts';

export function toApiRequest(event: APIGatewayProxyEventV2): ApiRequest {
  const raw = event.body ?? '';
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v;
  const tooLarge = Buffer.byteLength(body) > MAX_BODY_BYTES;
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: new URLSearchParams(event.rawQueryString ?? ''),
    headers,
    body: tooLarge ? '' : body,
    bodyTooLarge: tooLarge,
  };
}

export function toApiResult(res: ApiResponse): APIGatewayProxyStructuredResultV2 {
  return { statusCode: res.status, headers: res.headers, body: res.body };
}

/** The routes' view of the world on AWS: state and results from DynamoDB; pushes become Results items. */
export function awsRouteDeps(rt: AwsRuntime): RouteDeps {
  // A load balancer polls /status every few seconds: the states are read again only when a
  // transition was committed since (the epoch: one small read instead of the whole partition).
  let states: { epoch: number; value: Map<string, CheckState> } | undefined;
  return {
    config: rt.config,
    clock: rt.clock,
    states: async () => {
      const epoch = await rt.store.stateEpoch();
      if (states?.epoch !== epoch) {
        const list = await rt.store.listStates();
        states = { epoch, value: new Map(list.map((s): [string, CheckState] => [s.check, s])) };
      }
      return states.value;
    },
    latestResults: () => rt.store.latestResults(),
    listIncidents: (limit) => rt.store.listIncidents(limit),
    getIncident: (id) => rt.store.getIncident(id),
    timeline: (id) => rt.store.timeline(id),
    // One small query, not the results window: /health is public and polled.
    lastRoundAt: () => rt.store.lastResultAt(),
    problem: async () => undefined,
    // One Results item per push: the stream brings it to the evaluator like any probe batch.
    push: (result) => rt.store.appendResults([result]),
    recordPing: (check, at) => rt.store.recordPing(check, at),
    recordPingFailure: (check, at, message) => rt.store.recordPingFailure(check, at, message),
  };
}

/** The Lambda handler both HTTP functions export: the shared router over the AWS runtime. */
export function apiHandler(logger: Logger, env: Record<string, string | undefined>) {
  let route: ReturnType<typeof createRouter> | undefined;
  return middy(async (event: APIGatewayProxyEventV2) => {
    route ??= createRouter(awsRouteDeps(await serveRuntime(env)));
    return toApiResult(await route(toApiRequest(event)));
  }).use(injectLambdaContext(logger));
}

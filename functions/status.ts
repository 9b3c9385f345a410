/** HTTP API: GET /status[/{service}], /health, /api/checks, /api/incidents[/{id}]: read-only views of the state. */
import { Logger } from '@aws-lambda-powertools/logger';
import { apiHandler } from '../shared/adapters/aws/http.ts';

export const handler = apiHandler(new Logger(), { ...process.env });

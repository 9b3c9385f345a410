/** HTTP API: POST /hooks/{source}, GET|POST /ping/{token}[/fail]. Pushes become Results items and reach the evaluator. */
import { Logger } from '@aws-lambda-powertools/logger';
import { apiHandler } from '../shared/adapters/aws/http.ts';

export const handler = apiHandler(new Logger(), { ...process.env });

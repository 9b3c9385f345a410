// A Lambda execution environment for one function, as close to the managed Node.js runtime as this
// machine allows: the task root is the asset folder from cdk.out, the handler is the template's
// `Handler`, the working directory is the task root, and the process runs as a user that does not
// own the files (the test starts it so). Invocations arrive one JSON line at a time on stdin; each
// answer is one JSON line on fd 3 (stdout and stderr are the function's logs, as in CloudWatch).
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const [taskRoot, handlerSpec, functionName] = process.argv.slice(2);
const answers = createWriteStream('', { fd: 3 });
const answer = (message) => answers.write(`${JSON.stringify(message)}\n`);

process.chdir(taskRoot);
const dot = handlerSpec.lastIndexOf('.');
const base = handlerSpec.slice(0, dot);
const exported = handlerSpec.slice(dot + 1);
// The runtime's order: .mjs, then .js, then .cjs.
const file = ['.mjs', '.js', '.cjs'].map((ext) => join(taskRoot, `${base}${ext}`)).find((f) => existsSync(f));

let handler;
try {
  if (!file) throw new Error(`Runtime.ImportModuleError: cannot find ${base}.mjs/.js/.cjs in ${taskRoot}`);
  const mod = await import(pathToFileURL(file).href);
  handler = mod[exported];
  if (typeof handler !== 'function') throw new Error(`Runtime.HandlerNotFound: ${handlerSpec} is not a function`);
  answer({ ready: true });
} catch (err) {
  // What Lambda reports as Init errors: the function never starts.
  answer({ ready: false, error: `${err?.code ?? ''} ${err?.stack ?? err}`.trim() });
  await new Promise((resolve) => answers.end(resolve));
  process.exit(1);
}

let requests = 0;
const context = (deadlineMs) => ({
  functionName, functionVersion: '$LATEST', memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '256',
  invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${functionName}`,
  awsRequestId: `req-${process.pid}-${++requests}`, logGroupName: `/aws/lambda/${functionName}`, logStreamName: 'local',
  callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
});

for await (const line of createInterface({ input: process.stdin })) {
  const { id, event, timeoutMs } = JSON.parse(line);
  try {
    const result = await handler(event, context(Date.now() + timeoutMs));
    answer({ id, result: result ?? null });
  } catch (err) {
    answer({ id, error: String(err?.stack ?? err) });
  }
}

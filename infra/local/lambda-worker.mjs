// Runs one Lambda function's handler in its own worker thread, from its esbuild bundle, with the
// function's own environment (set by the host through the Worker's `env`).
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const module = await import(pathToFileURL(workerData.bundle).href);
const handler = module[workerData.handler];
if (typeof handler !== 'function')
  throw new Error(`${workerData.bundle} does not export ${workerData.handler}`);

parentPort.on('message', async ({ id, event, deadline, requestId }) => {
  const context = {
    awsRequestId: requestId,
    functionName: workerData.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: workerData.functionArn,
    memoryLimitInMB: '512',
    logGroupName: `/aws/lambda/${workerData.functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  try {
    const result = await handler(event, context);
    parentPort.postMessage({ id, ok: true, result: result === undefined ? null : result });
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    parentPort.postMessage({
      id,
      ok: false,
      errorType: err.name || 'Error',
      errorMessage: err.message,
      trace: (err.stack ?? '').split('\n'),
    });
  }
});

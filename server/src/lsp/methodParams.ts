/**
 * The custom methods' params, checked where they arrive (design §6): a request whose params
 * do not match their schema in `protocol.ts` is answered `InvalidParams` with what was
 * expected, before its handler runs; such a notification is logged and dropped.
 */
import * as v from "valibot";
import { ErrorCodes, ResponseError, type CancellationToken, type Connection } from "vscode-languageserver";
import type { ParamsSpec } from "../protocol";

/** Registers `handler` for request `method`, called with params that match `spec`. */
export function onCheckedRequest<P, R>(
  connection: Connection,
  method: string,
  spec: ParamsSpec<P>,
  handler: (params: P, token: CancellationToken) => R | Promise<R>,
): void {
  connection.onRequest(method, async (...args: unknown[]): Promise<R> => {
    const token = args.pop() as CancellationToken;
    return handler(checkedParams(method, spec, sentParams(args)), token);
  });
}

/** A notification's params if they match `spec`; else null, and the log says what was expected. */
export function notificationParams<P>(method: string, spec: ParamsSpec<P>, params: unknown, log: (message: string) => void): P | null {
  const parsed = v.safeParse(spec.schema, params);
  if (parsed.success) return parsed.output;
  log(`${method} ignored: ${invalidParamsMessage(method, spec, parsed.issues[0])}`);
  return null;
}

/** The params as sent: vscode-jsonrpc spreads params given by position (a client's `42` arrives as `[42]`). */
function sentParams(args: unknown[]): unknown {
  return args.length === 0 ? undefined : args.length === 1 ? args[0] : args;
}

export function checkedParams<P>(method: string, spec: ParamsSpec<P>, params: unknown): P {
  const parsed = v.safeParse(spec.schema, params);
  if (parsed.success) return parsed.output;
  throw new ResponseError(ErrorCodes.InvalidParams, invalidParamsMessage(method, spec, parsed.issues[0]));
}

/** "rlPlayground/stopTraining expects {runId: string}: runId must be a string (a run id from startTraining), got 7". */
function invalidParamsMessage(method: string, spec: ParamsSpec<unknown>, issue: v.BaseIssue<unknown>): string {
  const where = v.getDotPath(issue);
  const got = issue.received === "undefined" ? "nothing" : issue.received;
  return `${method} expects ${spec.expected}: ${where ? `${where} ${issue.message}, got ${got}` : `got ${got}`}`;
}

/**
 * The custom methods' params, checked where they arrive (design §6): a request whose params
 * do not match their schema is answered `InvalidParams` with what was expected, before its
 * handler runs; such a notification is logged and dropped. A method's params, result and
 * schema come from its one definition in `lspMethods.ts`, so a handler cannot disagree with it.
 */
import * as v from "valibot";
import {
  ErrorCodes,
  ResponseError,
  type CancellationToken,
  type Connection,
  type NotificationType,
  type RequestType,
} from "vscode-languageserver";
import type { ParamsSpec } from "../protocol";

/** Registers `handler` for a request, called with params that match the request's schema. */
export function onCheckedRequest<P, R>(
  connection: Connection,
  request: { type: RequestType<P, R, void>; params: ParamsSpec<P> },
  handler: (params: P, token: CancellationToken) => R | Promise<R>,
): void {
  const { method } = request.type;
  // Registered by name, the arguments untyped: the params are checked here, whatever a client sent
  // (vscode-jsonrpc spreads params given by position, and calls with the token alone when none came).
  connection.onRequest(method, async (...args: unknown[]): Promise<R> => {
    const token = args.pop() as CancellationToken;
    return handler(checkedParams(method, request.params, sentParams(args)), token);
  });
}

/** Registers `handler` for a notification, called with params that match its schema; others are logged and dropped. */
export function onCheckedNotification<P>(
  connection: Connection,
  notification: { type: NotificationType<P>; params: ParamsSpec<P> },
  log: (message: string) => void,
  handler: (params: P) => void,
): void {
  const { method } = notification.type;
  connection.onNotification(notification.type, (...args: unknown[]) => {
    const parsed = v.safeParse(notification.params.schema, sentParams(args));
    if (parsed.success) handler(parsed.output);
    else log(`${method} ignored: ${invalidParamsMessage(method, notification.params, parsed.issues[0])}`);
  });
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

/**
 * The language server's custom methods (design §6), each defined once as a vscode-jsonrpc
 * `RequestType`/`NotificationType` that both sides use: the server registers its handlers with
 * these objects and the client sends and listens with them, so a method's name, params and
 * result come from one definition. Those the server checks on arrival carry their params'
 * schema (`protocol.ts`) and the shape a client is told it expected.
 *
 * Apart from `protocol.ts` because vscode-jsonrpc is CommonJS that no bundler can tree-shake:
 * the dashboard page, the CLI and the runners import `protocol.ts` and need none of it. Only the
 * client and the language server import this file.
 */
import { NotificationType, RequestType, type WorkspaceEdit } from "vscode-languageserver-protocol";
import {
  ActiveDocumentParamsSchema,
  EditTrainingParamsSchema,
  PlaybackParamsSchema,
  StartTrainingParamsSchema,
  StopTrainingParamsSchema,
  TrustChangedParamsSchema,
  type ActiveDocumentParams,
  type EditTrainingParams,
  type ParamsSpec,
  type PlaybackParams,
  type PlaybackResult,
  type StartGroupResult,
  type StartTrainingParams,
  type StartTrainingResult,
  type StatusParams,
  type StopTrainingParams,
  type StopTrainingResult,
  type TrainingEndedParams,
  type TrainingProgressParams,
  type TrainingStartedParams,
  type TrustChangedParams,
} from "./protocol";

/** Client → server: train a file, or a seed group of it (`seeds`). */
export const StartTrainingRequest = {
  type: new RequestType<StartTrainingParams, StartTrainingResult | StartGroupResult, void>("rlPlayground/startTraining"),
  params: {
    schema: StartTrainingParamsSchema,
    expected: "{uri: string, settings?: object, seeds?: number[]}",
  } satisfies ParamsSpec<StartTrainingParams>,
};

/** Client → server: stop a run or a seed group. */
export const StopTrainingRequest = {
  type: new RequestType<StopTrainingParams, StopTrainingResult, void>("rlPlayground/stopTraining"),
  params: { schema: StopTrainingParamsSchema, expected: "{runId: string}" } satisfies ParamsSpec<StopTrainingParams>,
};

/** Client → server: one episode of a live or saved run's policy. */
export const PlaybackRequest = {
  type: new RequestType<PlaybackParams, PlaybackResult, void>("rlPlayground/playback"),
  params: {
    schema: PlaybackParamsSchema,
    expected: '{uri: string, mode: "greedy" | "sampled", runId?: string, runDir?: string, maxFrames?: number}',
  } satisfies ParamsSpec<PlaybackParams>,
};

/** Client → server: the edit that writes training settings into a file's `training` export. */
export const EditTrainingRequest = {
  type: new RequestType<EditTrainingParams, WorkspaceEdit, void>("rlPlayground/editTraining"),
  params: {
    schema: EditTrainingParamsSchema,
    expected:
      "{uri: string, settings: {episodesPerUpdate?, learningRate?, gamma?, baseline?, entropyCoef?, normalizeAdvantages?, seed?, maxEpisodes?}}",
  } satisfies ParamsSpec<EditTrainingParams>,
};

/** Client → server: Workspace Trust was granted (or revoked). */
export const TrustChangedNotification = {
  type: new NotificationType<TrustChangedParams>("rlPlayground/trustChanged"),
  params: { schema: TrustChangedParamsSchema, expected: "{trusted: boolean}" } satisfies ParamsSpec<TrustChangedParams>,
};

/** Client → server: the active editor's document (its check goes first). */
export const ActiveDocumentNotification = {
  type: new NotificationType<ActiveDocumentParams>("rlPlayground/activeDocument"),
  params: { schema: ActiveDocumentParamsSchema, expected: "{uri: string | null}" } satisfies ParamsSpec<ActiveDocumentParams>,
};

/** Server → client: a run started (the client opens the dashboard). */
export const TrainingStartedNotification = { type: new NotificationType<TrainingStartedParams>("rlPlayground/trainingStarted") };

/** Server → client: the newest update of a run, at most ~20 times a second. */
export const TrainingProgressNotification = { type: new NotificationType<TrainingProgressParams>("rlPlayground/trainingProgress") };

/** Server → client: a run ended. */
export const TrainingEndedNotification = { type: new NotificationType<TrainingEndedParams>("rlPlayground/trainingEnded") };

/** Server → client: a one-line status for the output channel and status bar. */
export const StatusNotification = { type: new NotificationType<StatusParams>("rlPlayground/status") };

/** Every notification the server sends, for a client that records them all (the tests'). */
export const SERVER_NOTIFICATIONS = [
  TrainingStartedNotification,
  TrainingProgressNotification,
  TrainingEndedNotification,
  StatusNotification,
] as const;

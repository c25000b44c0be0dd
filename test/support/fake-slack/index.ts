/** A wire-level fake of Slack for tests that run the real Bolt app: see {@link FakeSlack}. */
export { startBoltTestApp, fakeSlackAppOptions, CaptureLogger, type BoltTestApp } from './bolt-test-app.ts';
export type { CallKind, RecordedCall, RecordedFile, WaitOptions } from './call-log.ts';
export { FakeSlack, type FakeSlackOptions, type ResponseUrlSource, type UserFileInput } from './fake-slack.ts';
export {
  fileInputValue,
  plainTextValue,
  type BlockActionInput,
  type SlashCommandInput,
  type ViewStateValues,
  type ViewSubmissionInput,
} from './interaction-payloads.ts';
export {
  SlackSender,
  signSlackRequest,
  type AppResponse,
  type InteractionResponse,
  type SendOptions,
  type Signing,
  type SlackSenderOptions,
} from './slack-sender.ts';
export type { SlackFileObject } from './wire-objects.ts';
export {
  defaultWorkspaceSeed,
  SEED_IDS,
  tsCounter,
  Workspace,
  type FakeChannel,
  type FakeFile,
  type FakeMessage,
  type FakeUser,
  type FakeView,
  type WorkspaceSeed,
} from './workspace.ts';

import type { CliCommand } from '../command.ts';
import { agentCommand } from './agent.ts';
import { agentsListCommand } from './agents-list.ts';
import { agentsRevokeCommand } from './agents-revoke.ts';
import { agentsTokenCreateCommand } from './agents-token-create.ts';
import { botDiscordCommand, botSlackCommand, botWebCommand } from './bot.ts';
import { clusterAddNodeCommand } from './cluster-add-node.ts';
import { clusterRemoveNodeCommand } from './cluster-remove-node.ts';
import { clusterTransferLeaderCommand } from './cluster-transfer-leader.ts';
import { evalCommand } from './eval.ts';
import { imagineCommand } from './imagine.ts';
import { jobsCancelCommand } from './jobs-cancel.ts';
import { jobsListCommand } from './jobs-list.ts';
import { jobsShowCommand } from './jobs-show.ts';
import { modelExportCommand, modelImportCommand, modelListCommand, modelRollbackCommand, modelSettingsCommand, modelShowCommand } from './model.ts';
import { nodeCommand } from './node.ts';
import { s3Command } from './s3.ts';
import { statusCommand } from './status.ts';
import { trainCommand } from './train.ts';
import { upCommand } from './up.ts';

/** Every command of the `teambooth` CLI, in the order `--help` lists them. */
export const COMMANDS: readonly CliCommand[] = [
  upCommand,
  nodeCommand,
  s3Command,
  statusCommand,
  imagineCommand,
  trainCommand,
  evalCommand,
  jobsListCommand,
  jobsShowCommand,
  jobsCancelCommand,
  modelImportCommand,
  modelListCommand,
  modelShowCommand,
  modelRollbackCommand,
  modelExportCommand,
  modelSettingsCommand,
  agentCommand,
  agentsTokenCreateCommand,
  agentsListCommand,
  agentsRevokeCommand,
  botDiscordCommand,
  botSlackCommand,
  botWebCommand,
  clusterAddNodeCommand,
  clusterRemoveNodeCommand,
  clusterTransferLeaderCommand,
];

/** Descriptions of the command groups (words that only lead to subcommands). */
export const GROUPS: Readonly<Record<string, string>> = {
  jobs: 'follow and cancel the jobs of the cluster',
  model: 'versions of the shared model and how fine-tunes merge into it',
  agents: 'manage GPU agents',
  'agents token': 'agent tokens',
  bot: 'the Discord and Slack bots',
  cluster: 'membership and leadership of the cluster',
};

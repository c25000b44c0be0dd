import type { FakeState } from './fake-state.ts';
import {
  DEFAULT_EVERYONE_PERMISSIONS,
  attachmentObject,
  channelObject,
  memberObject,
  messageObject,
  roleObject,
  userObject,
  type FakeChannel,
  type FakeRole,
  type FakeUser,
} from './wire-objects.ts';

/** A file a member attaches to an attachment option; the fake serves its bytes. */
export interface AttachmentInput {
  name: string;
  contentType: string;
  bytes: Uint8Array;
  width?: number;
  height?: number;
}

/**
 * A command option's value. Plain values get their type from the registered command (or,
 * for an unregistered one, from the value: string, integer, number, boolean); attachments,
 * users, channels and roles are recognised by shape; `{ type, value }` states it outright.
 */
export type OptionValue =
  | string
  | number
  | boolean
  | AttachmentInput
  | FakeUser
  | FakeChannel
  | FakeRole
  | { type: number; value: string | number | boolean };

/** Who acts, and with what standing in the guild. */
export interface Actor {
  /** Default: the fake's member. */
  user?: FakeUser;
  /** The member's permissions in the channel; default @everyone's plus their roles'. */
  permissions?: bigint | number | string;
  /** Role ids of the member. */
  roles?: string[];
  /** Default: the guild's text channel. */
  channelId?: string;
}

/** A slash command as a member sends it. */
export interface CommandInput extends Actor {
  name: string;
  subcommand?: string;
  subcommandGroup?: string;
  options?: Record<string, OptionValue>;
}

/** Option types (Discord's numbers). */
const OptionType = {
  Subcommand: 1,
  SubcommandGroup: 2,
  String: 3,
  Integer: 4,
  Boolean: 5,
  User: 6,
  Channel: 7,
  Role: 8,
  Number: 10,
  Attachment: 11,
} as const;

type Definition = Record<string, unknown> & { name: string; type: number; options?: Definition[] };
type Resolved = Record<'attachments' | 'users' | 'members' | 'channels' | 'roles', Record<string, unknown>>;

/** The common fields of an interaction from `actor` in the fake guild. */
export function interactionBase(
  state: FakeState,
  ids: { id: string; token: string },
  type: number,
  actor: Actor & { user: FakeUser },
): Record<string, unknown> {
  const { guild } = state;
  const channel = guild.channels.find((c) => c.id === (actor.channelId ?? guild.channels[0]!.id));
  if (channel === undefined) throw new Error(`fake-discord: no channel ${actor.channelId} in the guild`);
  const roles = actor.roles ?? [];
  const permissions = memberPermissions(guild.roles, roles, actor.permissions);
  return {
    id: ids.id,
    token: ids.token,
    type,
    version: 1,
    application_id: state.application.id,
    guild_id: guild.id,
    guild: { id: guild.id, locale: 'en-US', features: [] },
    channel_id: channel.id,
    channel: { ...channelObject(channel), permissions: permissions.toString() },
    member: memberObject(actor.user, roles, state.clock.iso(), permissions),
    app_permissions: DEFAULT_EVERYONE_PERMISSIONS.toString(),
    locale: 'en-US',
    guild_locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: { '0': guild.id },
    context: 0,
    attachment_size_limit: 25 * 1024 * 1024,
  };
}

/** The `data` of an APPLICATION_COMMAND interaction, checked against the registered command. */
export function commandData(state: FakeState, input: CommandInput): Record<string, unknown> {
  const registered = state.commands.find(input.name, state.guild.id);
  const resolved: Resolved = { attachments: {}, users: {}, members: {}, channels: {}, roles: {} };
  let definitions = registered?.options as Definition[] | undefined;
  const path: Definition[] = [];
  for (const [name, type] of [
    [input.subcommandGroup, OptionType.SubcommandGroup],
    [input.subcommand, OptionType.Subcommand],
  ] as const) {
    if (name === undefined) continue;
    const definition = definitions?.find((d) => d.name === name && d.type === type);
    if (definitions !== undefined && definition === undefined) {
      throw new Error(`fake-discord: /${input.name} has no subcommand (group) "${name}"`);
    }
    path.push({ name, type });
    definitions = definition?.options;
  }
  let options: unknown[] = buildOptions(state, input, definitions, resolved);
  for (const level of path.reverse()) options = [{ name: level.name, type: level.type, options }];
  const usedResolved = Object.fromEntries(Object.entries(resolved).filter(([, v]) => Object.keys(v).length > 0));
  return {
    id: registered?.id ?? state.clock.snowflake(),
    name: input.name,
    type: 1,
    ...(registered?.guild_id !== undefined ? { guild_id: registered.guild_id } : {}),
    options,
    ...(Object.keys(usedResolved).length > 0 ? { resolved: usedResolved } : {}),
  };
}

/** The message a component or modal interaction carries, from the fake's store. */
export function sourceMessageObject(state: FakeState, messageId: string): Record<string, unknown> {
  const message = state.messages.get(messageId);
  if (message === undefined || message.deleted) {
    throw new Error(`fake-discord: no message ${messageId} to act on (the bot's messages: ${describeIds(state)})`);
  }
  return messageObject(message, state.guild.id) as unknown as Record<string, unknown>;
}

/** Finds the component with `customId` in a message's components, at any depth. */
export function findComponent(components: unknown, customId: string): Record<string, unknown> | undefined {
  if (Array.isArray(components)) {
    for (const item of components) {
      const found = findComponent(item, customId);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof components !== 'object' || components === null) return undefined;
  const component = components as Record<string, unknown>;
  if (component.custom_id === customId) return component;
  return findComponent([component.components, component.accessory, component.component].filter(Boolean), customId);
}

/** The ModalSubmit `data`: one action row with a text input per field. */
export function modalData(customId: string, fields: Record<string, string>): Record<string, unknown> {
  return {
    custom_id: customId,
    components: Object.entries(fields).map(([id, value]) => ({
      type: 1,
      components: [{ type: 4, custom_id: id, value }],
    })),
  };
}

function buildOptions(
  state: FakeState,
  input: CommandInput,
  definitions: Definition[] | undefined,
  resolved: Resolved,
): Record<string, unknown>[] {
  const values = input.options ?? {};
  if (definitions !== undefined) {
    const missing = definitions.filter((d) => d.required === true && !(d.name in values));
    if (missing.length > 0) {
      throw new Error(`fake-discord: /${input.name} needs option(s) ${missing.map((d) => d.name).join(', ')}`);
    }
  }
  return Object.entries(values).map(([name, value]) => {
    const definition = definitions?.find((d) => d.name === name);
    if (definitions !== undefined && definition === undefined) {
      const known = definitions.map((d) => d.name).join(', ') || 'none';
      throw new Error(`fake-discord: /${input.name} has no option "${name}" (it has: ${known})`);
    }
    const type = definition?.type ?? inferType(value);
    return { name, type, value: resolveValue(state, type, value, resolved, `/${input.name} ${name}`) };
  });
}

function inferType(value: OptionValue): number {
  if (typeof value === 'string') return OptionType.String;
  if (typeof value === 'boolean') return OptionType.Boolean;
  if (typeof value === 'number') return Number.isInteger(value) ? OptionType.Integer : OptionType.Number;
  if ('bytes' in value) return OptionType.Attachment;
  if ('username' in value) return OptionType.User;
  if ('guildId' in value) return OptionType.Channel;
  if ('permissions' in value) return OptionType.Role;
  return value.type;
}

function resolveValue(
  state: FakeState,
  type: number,
  value: OptionValue,
  resolved: Resolved,
  where: string,
): string | number | boolean {
  const mismatch = (): Error => new Error(`fake-discord: ${where} has type ${type}; got ${JSON.stringify(value)}`);
  if (typeof value === 'object' && 'value' in value && 'type' in value) return value.value;
  switch (type) {
    case OptionType.String:
      if (typeof value !== 'string') throw mismatch();
      return value;
    case OptionType.Integer:
    case OptionType.Number:
      if (typeof value !== 'number' || (type === OptionType.Integer && !Number.isInteger(value))) throw mismatch();
      return value;
    case OptionType.Boolean:
      if (typeof value !== 'boolean') throw mismatch();
      return value;
    case OptionType.Attachment: {
      if (typeof value !== 'object' || !('bytes' in value)) throw mismatch();
      const attachment = state.messages.addAttachment({
        filename: value.name,
        contentType: value.contentType,
        bytes: Buffer.from(value.bytes),
        ephemeral: true,
        ...(value.width !== undefined ? { width: value.width } : {}),
        ...(value.height !== undefined ? { height: value.height } : {}),
      });
      resolved.attachments[attachment.id] = attachmentObject(attachment);
      return attachment.id;
    }
    case OptionType.User: {
      if (typeof value !== 'object' || !('username' in value)) throw mismatch();
      resolved.users[value.id] = userObject(value);
      const { user: _user, ...member } = memberObject(value, [], state.clock.iso());
      resolved.members[value.id] = member;
      return value.id;
    }
    case OptionType.Channel:
      if (typeof value !== 'object' || !('guildId' in value)) throw mismatch();
      resolved.channels[value.id] = { id: value.id, name: value.name, type: 0, permissions: '0' };
      return value.id;
    case OptionType.Role:
      if (typeof value !== 'object' || !('permissions' in value)) throw mismatch();
      resolved.roles[value.id] = roleObject(value);
      return value.id;
    default:
      throw mismatch();
  }
}

function memberPermissions(roles: FakeRole[], roleIds: string[], explicit: Actor['permissions']): bigint {
  if (explicit !== undefined) return BigInt(explicit);
  let bits = 0n;
  for (const role of roles) {
    if (role.name === '@everyone' || roleIds.includes(role.id)) bits |= role.permissions;
  }
  return bits;
}

function describeIds(state: FakeState): string {
  const ids = state.messages.all().filter((m) => !m.deleted).map((m) => m.id);
  return ids.length > 0 ? ids.join(', ') : 'none';
}

import type { FakeClock } from './fake-clock.ts';
import { DiscordApiError } from './http-router.ts';

/** An application command as the fake stores and returns it (Discord's JSON shape). */
export type StoredCommand = Record<string, unknown> & {
  id: string;
  name: string;
  type: number;
  options?: Record<string, unknown>[];
};

/**
 * The application's commands: global ones and per-guild ones, each set replaced as a
 * whole by a bulk overwrite. A command keeps its id across overwrites while its name
 * and type stay the same, as on Discord.
 */
export class CommandStore {
  private readonly scopes = new Map<string, StoredCommand[]>();

  constructor(
    private readonly clock: FakeClock,
    private readonly applicationId: string,
  ) {}

  /** The commands of a scope: global when `guildId` is undefined. */
  list(guildId?: string): StoredCommand[] {
    return [...(this.scopes.get(scopeKey(guildId)) ?? [])];
  }

  /** The command a member would pick by name: a guild command first, then a global one. */
  find(name: string, guildId: string): StoredCommand | undefined {
    const byName = (c: StoredCommand): boolean => c.name === name && c.type === 1;
    return this.list(guildId).find(byName) ?? this.list().find(byName);
  }

  /** Replaces a scope's commands with `body` (the bulk-overwrite request) and returns them. */
  overwrite(body: unknown, guildId?: string): StoredCommand[] {
    if (!Array.isArray(body)) throw new DiscordApiError(400, 50035, 'Invalid Form Body: expected an array of commands');
    const previous = this.list(guildId);
    const version = this.clock.snowflake();
    const commands = body.map((raw: unknown) => {
      const input = (raw ?? {}) as Record<string, unknown>;
      if (typeof input.name !== 'string' || input.name === '') {
        throw new DiscordApiError(400, 50035, 'Invalid Form Body: name: This field is required');
      }
      const type = typeof input.type === 'number' ? input.type : 1;
      const kept = previous.find((c) => c.name === input.name && c.type === type);
      const command: StoredCommand = {
        description: '',
        options: [],
        default_member_permissions: null,
        nsfw: false,
        name_localizations: null,
        description_localizations: null,
        integration_types: [0],
        contexts: null,
        ...input,
        id: kept?.id ?? this.clock.snowflake(),
        application_id: this.applicationId,
        version,
        name: input.name,
        type,
        ...(guildId !== undefined ? { guild_id: guildId } : {}),
      };
      return command;
    });
    this.scopes.set(scopeKey(guildId), commands);
    return commands;
  }
}

function scopeKey(guildId: string | undefined): string {
  return guildId ?? 'global';
}

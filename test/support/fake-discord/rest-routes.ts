import { DiscordApiError, noContent, ok, type Route, type RouteContext } from './http-router.ts';
import { messageBody } from './message-store.ts';
import { requireApplication, requireChannel, type FakeState } from './fake-state.ts';
import { channelObject, messageObject, userObject, type FakeMessage } from './wire-objects.ts';

/**
 * The bot-token REST routes: gateway discovery, the bot's own user and application,
 * application commands, channel messages, and the download URLs of attachments.
 */
export function restRoutes(state: FakeState): Route[] {
  const message = (m: FakeMessage): unknown => messageObject(m, state.guild.id);
  const gatewayBot = {
    url: state.gatewayUrl,
    shards: 1,
    session_start_limit: { total: 1000, remaining: 1000, reset_after: 86_400_000, max_concurrency: 1 },
  };
  const commandRoutes = (pattern: string): Route[] => [
    {
      method: 'GET',
      pattern,
      auth: 'bot',
      handle: ({ params }) => {
        requireApplication(state, params.app!);
        return ok(state.commands.list(commandGuild(state, params)));
      },
    },
    {
      method: 'PUT',
      pattern,
      auth: 'bot',
      handle: ({ params, body }) => {
        requireApplication(state, params.app!);
        return ok(state.commands.overwrite(body.json, commandGuild(state, params)));
      },
    },
  ];
  return [
    { method: 'GET', pattern: '/gateway/bot', auth: 'bot', handle: () => ok(gatewayBot) },
    { method: 'GET', pattern: '/gateway', auth: 'none', handle: () => ok({ url: state.gatewayUrl }) },
    {
      method: 'GET',
      pattern: '/users/@me',
      auth: 'bot',
      handle: () => ok({ ...userObject(state.bot), verified: true, mfa_enabled: false, flags: 0 }),
    },
    {
      method: 'GET',
      pattern: '/users/:user',
      auth: 'bot',
      handle: ({ params }) => {
        const user = state.users.get(params.user!);
        if (user === undefined) throw new DiscordApiError(404, 10013, 'Unknown User');
        return ok(userObject(user));
      },
    },
    {
      method: 'GET',
      pattern: '/applications/@me',
      auth: 'bot',
      handle: () =>
        ok({
          id: state.application.id,
          name: state.application.name,
          icon: null,
          description: '',
          bot_public: false,
          bot_require_code_grant: false,
          verify_key: '0'.repeat(64),
          flags: state.application.flags,
          bot: userObject(state.bot),
          owner: userObject(state.bot),
          team: null,
        }),
    },
    ...commandRoutes('/applications/:app/commands'),
    ...commandRoutes('/applications/:app/guilds/:guild/commands'),
    {
      method: 'GET',
      pattern: '/channels/:channel',
      auth: 'bot',
      handle: ({ params }) => ok(channelObject(requireChannel(state, params.channel!))),
    },
    {
      method: 'POST',
      pattern: '/channels/:channel/messages',
      auth: 'bot',
      handle: ({ params, body }) => {
        const channel = requireChannel(state, params.channel!);
        const created = state.messages.create({
          channelId: channel.id,
          author: state.bot,
          body: messageBody(body.json),
          files: body.files,
        });
        state.channelMessages.push(created);
        return ok(message(created));
      },
    },
    {
      method: 'GET',
      pattern: '/channels/:channel/messages/:message',
      auth: 'bot',
      handle: (context) => ok(message(channelMessage(state, context))),
    },
    {
      method: 'PATCH',
      pattern: '/channels/:channel/messages/:message',
      auth: 'bot',
      handle: (context) => {
        const target = channelMessage(state, context);
        if (target.author.id !== state.bot.id) {
          throw new DiscordApiError(403, 50005, 'Cannot edit a message authored by another user');
        }
        state.channelEdits.push(state.messages.edit(target, messageBody(context.body.json), context.body.files));
        return ok(message(target));
      },
    },
    {
      method: 'DELETE',
      pattern: '/channels/:channel/messages/:message',
      auth: 'bot',
      handle: (context) => {
        state.messages.delete(channelMessage(state, context));
        return noContent;
      },
    },
    {
      method: 'GET',
      pattern: '/attachments/:id/:name',
      auth: 'none',
      unversioned: true,
      handle: ({ params }) => {
        const attachment = state.messages.attachment(params.id!);
        if (attachment === undefined || attachment.filename !== params.name) {
          throw new DiscordApiError(404, 0, '404: Not Found');
        }
        return { status: 200, bytes: attachment.bytes, contentType: attachment.contentType };
      },
    },
  ];
}

function channelMessage(state: FakeState, { params }: RouteContext): FakeMessage {
  const channel = requireChannel(state, params.channel!);
  return state.messages.require(params.message!, channel.id);
}

function commandGuild(state: FakeState, params: Record<string, string>): string | undefined {
  if (params.guild === undefined) return undefined;
  if (params.guild !== state.guild.id) throw new DiscordApiError(404, 10004, 'Unknown Guild');
  return params.guild;
}

import { DiscordApiError, noContent, ok, type Route, type RouteContext, type RouteResult } from './http-router.ts';
import {
  CALLBACK_DEADLINE_MS,
  CallbackType,
  InteractionKind,
  type InteractionHandle,
} from './interaction-handle.ts';
import { messageBody, type MessageBody } from './message-store.ts';
import type { RecordedFile } from './request-body.ts';
import type { FakeState } from './fake-state.ts';
import { MessageFlag, messageObject, type FakeMessage } from './wire-objects.ts';

/**
 * The routes an interaction token opens, none of which take the bot token: the
 * callback (within 3 s of fake time, once), and the interaction webhook (edit, fetch and
 * delete messages, follow-ups) for 15 minutes, after which Discord answers 401 with
 * code 50027.
 */
export function interactionRoutes(state: FakeState): Route[] {
  const respond = (message: FakeMessage): RouteResult => ok(messageObject(message, state.guild.id));
  return [
    {
      method: 'POST',
      pattern: '/interactions/:id/:token/callback',
      auth: 'none',
      handle: (context) => callback(state, context),
    },
    {
      method: 'POST',
      pattern: '/webhooks/:app/:token',
      auth: 'none',
      handle: ({ params, query, body }) => {
        const handle = webhookInteraction(state, params);
        const created = followUp(state, handle, messageBody(body.json), body.files);
        handle.followUps.push(created);
        return query.get('wait') === 'true' ? respond(created) : noContent;
      },
    },
    {
      method: 'GET',
      pattern: '/webhooks/:app/:token/messages/:message',
      auth: 'none',
      handle: ({ params }) => respond(webhookMessage(state, webhookInteraction(state, params), params.message)),
    },
    {
      method: 'PATCH',
      pattern: '/webhooks/:app/:token/messages/:message',
      auth: 'none',
      handle: ({ params, body }) => {
        const handle = webhookInteraction(state, params);
        const target = webhookMessage(state, handle, params.message);
        handle.edits.push(state.messages.edit(target, messageBody(body.json), body.files));
        return respond(target);
      },
    },
    {
      method: 'DELETE',
      pattern: '/webhooks/:app/:token/messages/:message',
      auth: 'none',
      handle: ({ params }) => {
        state.messages.delete(webhookMessage(state, webhookInteraction(state, params), params.message));
        return noContent;
      },
    },
  ];
}

function callback(state: FakeState, { params, query, body }: RouteContext): RouteResult {
  const handle = state.interactions.get(params.id!);
  const now = state.clock.now();
  if (handle === undefined || handle.token !== params.token || now - handle.createdAtMs > CALLBACK_DEADLINE_MS) {
    throw new DiscordApiError(404, 10062, 'Unknown interaction');
  }
  if (handle.callback !== undefined) {
    throw new DiscordApiError(400, 40060, 'Interaction has already been acknowledged.');
  }
  const request = messageBody(body.json);
  const type = Number(request.type);
  const data = isObject(request.data) ? request.data : undefined;
  const message = applyCallback(state, handle, type, data ?? {}, body.files);
  handle.originalMessageId = message?.id;
  handle.callbacks.push({ type, data, files: body.files, message });
  if (query.get('with_response') !== 'true') return noContent;
  return ok({
    interaction: {
      id: handle.id,
      type: handle.type,
      ...(message !== undefined
        ? {
            response_message_id: message.id,
            response_message_loading: (message.flags & MessageFlag.Loading) !== 0,
            response_message_ephemeral: (message.flags & MessageFlag.Ephemeral) !== 0,
          }
        : {}),
    },
    resource: {
      type,
      ...(message !== undefined && type !== CallbackType.DeferredUpdateMessage
        ? { message: messageObject(message, state.guild.id) }
        : {}),
    },
  });
}

/** Carries out a callback; returns the message `@original` names from now on, if any. */
function applyCallback(
  state: FakeState,
  handle: InteractionHandle,
  type: number,
  data: MessageBody,
  files: RecordedFile[],
): FakeMessage | undefined {
  switch (type) {
    case CallbackType.ChannelMessageWithSource:
      return state.messages.create(responseMessage(state, handle, data, files));
    case CallbackType.DeferredChannelMessageWithSource: {
      const ephemeral = Number(data.flags ?? 0) & MessageFlag.Ephemeral;
      const init = responseMessage(state, handle, {}, []);
      return state.messages.create({ ...init, flags: MessageFlag.Loading | ephemeral, allowEmpty: true });
    }
    case CallbackType.DeferredUpdateMessage:
      return sourceMessage(state, handle, type);
    case CallbackType.UpdateMessage: {
      const source = sourceMessage(state, handle, type);
      state.messages.edit(source, data, files);
      return source;
    }
    case CallbackType.Modal:
      if (handle.type === InteractionKind.ModalSubmit) {
        throw new DiscordApiError(400, 50035, 'Invalid Form Body: a modal cannot answer a modal submit');
      }
      if (typeof data.custom_id !== 'string' || typeof data.title !== 'string' || !Array.isArray(data.components)) {
        throw new DiscordApiError(400, 50035, 'Invalid Form Body: a modal needs custom_id, title and components');
      }
      return undefined;
    default:
      throw new DiscordApiError(400, 50035, `Invalid Form Body: unsupported interaction callback type ${type}`);
  }
}

function sourceMessage(state: FakeState, handle: InteractionHandle, type: number): FakeMessage {
  if (handle.sourceMessageId === undefined) {
    throw new DiscordApiError(400, 50035, `Invalid Form Body: callback type ${type} needs a component's message`);
  }
  return state.messages.require(handle.sourceMessageId);
}

function responseMessage(state: FakeState, handle: InteractionHandle, body: MessageBody, files: RecordedFile[]) {
  return {
    channelId: handle.channelId,
    author: state.bot,
    body,
    files,
    webhookId: state.application.id,
    interaction: {
      id: handle.id,
      type: handle.type,
      user: handle.user,
      ...(handle.commandName !== undefined ? { commandName: handle.commandName } : {}),
    },
  };
}

/**
 * A follow-up. The first one after a deferred reply fills in the "thinking" message
 * instead of posting a new one (keeping the deferral's ephemeral flag), as Discord does.
 */
function followUp(state: FakeState, handle: InteractionHandle, body: MessageBody, files: RecordedFile[]): FakeMessage {
  const original = handle.originalMessageId === undefined ? undefined : state.messages.get(handle.originalMessageId);
  if (original !== undefined && !original.deleted && (original.flags & MessageFlag.Loading) !== 0) {
    state.messages.edit(original, body, files);
    return original;
  }
  return state.messages.create(responseMessage(state, handle, body, files));
}

function webhookInteraction(state: FakeState, params: Record<string, string>): InteractionHandle {
  if (params.app !== state.application.id) throw new DiscordApiError(404, 10015, 'Unknown Webhook');
  const handle = [...state.interactions.values()].find((h) => h.token === params.token);
  if (handle === undefined || handle.expiredAt(state.clock.now())) {
    throw new DiscordApiError(401, 50027, 'Invalid Webhook Token');
  }
  return handle;
}

/** `@original` or a follow-up of `handle`, the interaction whose token the path carries. */
function webhookMessage(state: FakeState, handle: InteractionHandle, message: string | undefined): FakeMessage {
  const id = message === '@original' ? handle.originalMessageId : message;
  const ownIds = new Set([handle.originalMessageId, ...handle.followUps.all().map((m) => m.id)]);
  if (id === undefined || !ownIds.has(id)) throw new DiscordApiError(404, 10008, 'Unknown Message');
  return state.messages.require(id);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

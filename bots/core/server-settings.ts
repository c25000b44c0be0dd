import { z } from 'zod';
import type { ClusterClient } from '../../cluster/client/cluster-client.ts';
import type { ChatPlace } from './chat-port.ts';

/**
 * What the admins of one chat server decide for it, kept in the cluster's replicated key-value
 * map (`bots/<platform>:<server>/settings`), so every bot process serving that server agrees.
 */
export interface ServerSettings {
  /** Channels where members may use the bot; empty: every channel. */
  channels: string[];
  /** Jobs one member may have queued or running at once. */
  maxActiveJobsPerMember: number;
  /** Words a prompt may not contain (lowercase; whole words). */
  blockedWords: string[];
}

export const DEFAULT_SERVER_SETTINGS: Readonly<ServerSettings> = Object.freeze({ channels: [], maxActiveJobsPerMember: 3, blockedWords: [] });

const settingsSchema = z.strictObject({
  channels: z.array(z.string().min(1).max(64)).max(100),
  maxActiveJobsPerMember: z.int().min(1).max(20),
  blockedWords: z.array(z.string().min(1).max(64)).max(500),
});

/** The key-value key of a server's settings. */
function settingsKey(place: Pick<ChatPlace, 'platform' | 'serverId'>): string {
  return `bots/${place.platform}:${place.serverId}/settings`;
}

type SettingsApi = Pick<ClusterClient, 'query' | 'propose'>;

/** A server's settings; the defaults when its admins have set none (or what is stored is not readable). */
export async function readServerSettings(api: SettingsApi, place: ChatPlace, signal: AbortSignal): Promise<ServerSettings> {
  const stored = (await api.query({ type: 'kvGet', key: settingsKey(place) }, { stale: true, signal })) as { value: unknown };
  const parsed = settingsSchema.safeParse(stored.value);
  return parsed.success ? parsed.data : { ...DEFAULT_SERVER_SETTINGS, channels: [], blockedWords: [] };
}

/** Stores a server's settings through the log. */
export async function writeServerSettings(api: SettingsApi, place: ChatPlace, settings: ServerSettings, signal: AbortSignal): Promise<void> {
  await api.propose({ type: 'put', key: settingsKey(place), value: settingsSchema.parse(settings) }, signal);
}

/** The blocked word a prompt uses, or undefined. Matching is per whole word, ignoring case. */
export function blockedWordIn(prompt: string, settings: ServerSettings): string | undefined {
  const words = new Set(prompt.toLowerCase().split(/[^\p{L}\p{N}]+/u));
  return settings.blockedWords.find((word) => words.has(word.toLowerCase()));
}

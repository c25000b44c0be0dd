/** A member of the fake workspace. */
export interface FakeUser {
  id: string;
  name: string;
  realName: string;
  isAdmin: boolean;
  isOwner: boolean;
  isBot: boolean;
}

/** A public or private channel, or a direct-message conversation (`D...`). */
export interface FakeChannel {
  id: string;
  name: string;
  isPrivate: boolean;
  isIm: boolean;
  members: string[];
}

/** A file the fake holds: uploaded by the app, or put into a `file_input` by a user. */
export interface FakeFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  bytes: Buffer;
  user: string;
  created: number;
  /** Conversations the file was shared into, with the ts of the message that shares it. */
  shares: { channel: string; ts: string; threadTs: string | undefined }[];
}

/** A message in a conversation's history. */
export interface FakeMessage {
  channel: string;
  ts: string;
  user: string;
  botId: string | undefined;
  text: string;
  blocks: unknown[] | undefined;
  threadTs: string | undefined;
  fileIds: string[];
  edited: boolean;
}

/** A modal or Home tab view the app opened. */
export interface FakeView {
  id: string;
  userId: string;
  hash: string;
  /** The view definition the app sent (title, blocks, callback_id, private_metadata, ...). */
  definition: Record<string, unknown>;
  rootViewId: string;
  previousViewId: string | null;
}

/** A file announced by files.getUploadURLExternal and not yet completed. */
export interface PendingUpload {
  fileId: string;
  filename: string;
  /** The bytes posted to the upload URL; undefined until they arrive. */
  bytes: Buffer | undefined;
}

/** The app installed in the workspace. */
export interface FakeBot {
  token: string;
  userId: string;
  botId: string;
  appId: string;
  name: string;
}

/** Who and what the workspace starts with. */
export interface WorkspaceSeed {
  teamId: string;
  teamDomain: string;
  bot: FakeBot;
  users: FakeUser[];
  channels: FakeChannel[];
}

/** IDs of the people and channels in {@link defaultWorkspaceSeed}. */
export const SEED_IDS = {
  team: 'T0TEAMBTH',
  bot: 'U0BOT0001',
  /** An admin. */
  alice: 'U0ALICE01',
  /** A member who is no admin. */
  bob: 'U0BOB0001',
  general: 'C0GENERAL',
  /** A private channel the bot is not a member of. */
  secret: 'C0SECRET1',
} as const;

/** A small workspace: one admin, one member, a bot, a public and a private channel. */
export function defaultWorkspaceSeed(): WorkspaceSeed {
  const person = (id: string, name: string, realName: string, isAdmin: boolean): FakeUser => ({
    id,
    name,
    realName,
    isAdmin,
    isOwner: isAdmin,
    isBot: false,
  });
  return {
    teamId: SEED_IDS.team,
    teamDomain: 'teambooth',
    bot: {
      token: 'xoxb-fake-teambooth-bot',
      userId: SEED_IDS.bot,
      botId: 'B0BOT0001',
      appId: 'A0TEAMBTH',
      name: 'teambooth',
    },
    users: [
      person(SEED_IDS.alice, 'alice', 'Alice Admin', true),
      person(SEED_IDS.bob, 'bob', 'Bob Member', false),
      { ...person(SEED_IDS.bot, 'teambooth', 'Teambooth', false), isBot: true },
    ],
    channels: [
      {
        id: SEED_IDS.general,
        name: 'general',
        isPrivate: false,
        isIm: false,
        members: [SEED_IDS.alice, SEED_IDS.bob, SEED_IDS.bot],
      },
      { id: SEED_IDS.secret, name: 'secret', isPrivate: true, isIm: false, members: [SEED_IDS.alice] },
    ],
  };
}

/**
 * Message timestamps `1700000000.000001`, `1700000000.000002`, ...: unique, increasing and the
 * same in every run.
 */
export function tsCounter(startSeconds = 1_700_000_000): () => string {
  let n = 0;
  return () => {
    n += 1;
    const seconds = startSeconds + Math.floor(n / 1_000_000);
    return `${seconds}.${String(n % 1_000_000).padStart(6, '0')}`;
  };
}

/** The state of the fake workspace; the Web API methods read and change it. */
export class Workspace {
  readonly teamId: string;
  readonly teamDomain: string;
  readonly bot: FakeBot;
  readonly users = new Map<string, FakeUser>();
  readonly channels = new Map<string, FakeChannel>();
  readonly files = new Map<string, FakeFile>();
  readonly views = new Map<string, FakeView>();
  readonly pendingUploads = new Map<string, PendingUpload>();
  /** trigger_id -> the user whose interaction issued it, and whether a view was opened with it. */
  readonly triggers = new Map<string, { userId: string; used: boolean }>();
  /** History of each conversation, keyed by ts. */
  private readonly histories = new Map<string, Map<string, FakeMessage>>();
  private readonly counters = new Map<string, number>();
  private lastTs: string | undefined;

  constructor(
    seed: WorkspaceSeed,
    private readonly tsSource: () => string,
  ) {
    this.teamId = seed.teamId;
    this.teamDomain = seed.teamDomain;
    this.bot = seed.bot;
    for (const u of seed.users) this.users.set(u.id, { ...u });
    for (const c of seed.channels) this.channels.set(c.id, { ...c, members: [...c.members] });
  }

  /** A fresh message timestamp. */
  nextTs(): string {
    this.lastTs = this.tsSource();
    return this.lastTs;
  }

  /** The fake's notion of now, in whole seconds: that of the latest timestamp handed out. */
  nowSeconds(): number {
    return Math.floor(Number(this.lastTs ?? this.nextTs()));
  }

  /** A fresh ID such as `F00000001`, counted per prefix. */
  nextId(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}${String(n).padStart(8, '0')}`;
  }

  /**
   * The conversation a `channel` argument names: a channel ID, or a user ID, which opens (or
   * reuses) the direct-message conversation with that user, as chat.postMessage does.
   */
  resolveChannel(id: string): FakeChannel | undefined {
    const channel = this.channels.get(id);
    if (channel !== undefined) return channel;
    const user = this.users.get(id);
    if (user === undefined) return undefined;
    const dmId = `D${user.id.slice(1)}`;
    const dm: FakeChannel = this.channels.get(dmId) ?? {
      id: dmId,
      name: user.name,
      isPrivate: true,
      isIm: true,
      members: [user.id, this.bot.userId],
    };
    this.channels.set(dmId, dm);
    return dm;
  }

  /** A fresh view hash; views.update checks the one the app passes against it. */
  nextViewHash(): string {
    return this.nextId('hash.');
  }

  /** Registers a new root view (a modal) opened for `userId` with `definition`. */
  openView(userId: string, definition: Record<string, unknown>): FakeView {
    const id = this.nextId('V');
    const view: FakeView = { id, userId, hash: this.nextViewHash(), definition, rootViewId: id, previousViewId: null };
    this.views.set(id, view);
    return view;
  }

  /** Appends a message from the bot to a conversation's history. */
  appendMessage(message: Omit<FakeMessage, 'ts' | 'user' | 'botId' | 'edited'>): FakeMessage {
    const stored: FakeMessage = {
      ...message,
      ts: this.nextTs(),
      user: this.bot.userId,
      botId: this.bot.botId,
      edited: false,
    };
    this.history(message.channel).set(stored.ts, stored);
    return stored;
  }

  /** The message at `ts` in a conversation, if it exists. */
  message(channel: string, ts: string): FakeMessage | undefined {
    return this.histories.get(channel)?.get(ts);
  }

  /** Removes a message from its conversation's history. */
  deleteMessage(channel: string, ts: string): boolean {
    return this.histories.get(channel)?.delete(ts) ?? false;
  }

  /** A conversation's history, oldest first. */
  messages(channel: string): FakeMessage[] {
    return [...(this.histories.get(channel)?.values() ?? [])];
  }

  private history(channel: string): Map<string, FakeMessage> {
    let history = this.histories.get(channel);
    if (history === undefined) {
      history = new Map();
      this.histories.set(channel, history);
    }
    return history;
  }
}

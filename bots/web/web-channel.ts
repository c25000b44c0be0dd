import { typeFromName, type ChatButton, type ChatMessage, type ChatReply } from '../core/chat-port.ts';

/** Who wrote a message in the playground's channel. */
export interface WebAuthor {
  id: string;
  name: string;
  bot: boolean;
}

/** A message as browsers receive it: mentions already written as `@name`, images as URLs. */
export interface WebMessage {
  id: string;
  author: WebAuthor;
  text: string;
  images: { name: string; url: string }[];
  buttons: ChatButton[];
  /** Names of the files a member attached to a command. */
  attachments: string[];
  /** The only member who sees it (a whisper), or null for everyone. */
  onlyFor: string | null;
  /** When it was written or last changed (ms). */
  at: number;
}

/** What a browser is told: a message to show (new or changed), or one to take away. */
export type ChannelEvent = { type: 'message'; message: WebMessage } | { type: 'remove'; id: string };

/** The bot's own author entry. */
export const TEAMBOOTH_AUTHOR: WebAuthor = { id: 'teambooth', name: 'Teambooth', bot: true };

interface StoredMessage extends Omit<WebMessage, 'images' | 'text'> {
  /** The core's text, mentions still as `<@member>`. */
  text: string;
  imageIds: { name: string; id: string }[];
}

interface StoredImage {
  bytes: Uint8Array;
  type: string;
}

/**
 * The playground's one channel, in memory: the last `maxMessages` messages (older ones and their
 * images are dropped), the members seen so far, and the browsers listening. Whispers reach only
 * their member; everything else reaches every browser, as in a chat channel.
 */
export class WebChannel {
  readonly #messages = new Map<string, StoredMessage>();
  readonly #images = new Map<string, StoredImage>();
  readonly #members = new Map<string, string>();
  readonly #listeners = new Map<(event: ChannelEvent) => void, string>();
  readonly #now: () => number;
  readonly #maxMessages: number;
  #nextId = 1;

  readonly #imagePrefix: string;
  readonly #maxImageBytes: number;
  #imageBytes = 0;

  /**
   * Keeps at most `maxMessages` messages (300) and `maxImageBytes` of images (64 MiB), dropping the
   * oldest messages first; `imagePrefix` starts every image id (a different one per run keeps
   * browsers' caches apart).
   */
  constructor(options: { now: () => number; maxMessages?: number; maxImageBytes?: number; imagePrefix?: string }) {
    this.#now = options.now;
    this.#maxMessages = options.maxMessages ?? 300;
    this.#maxImageBytes = options.maxImageBytes ?? 64 * 2 ** 20;
    this.#imagePrefix = options.imagePrefix ?? '';
  }

  /** Remembers a member's display name (mentions of them read `@name`). */
  join(member: { id: string; name: string }): void {
    this.#members.set(member.id, member.name);
  }

  /** Adds a message; returns its id. */
  add(author: WebAuthor, message: ChatMessage, extra: { onlyFor?: string | null; attachments?: string[] } = {}): string {
    const id = `m${this.#nextId++}`;
    this.#messages.set(id, { id, author, text: message.text, imageIds: this.#storeImages(message), buttons: [...(message.buttons ?? [])], attachments: extra.attachments ?? [], onlyFor: extra.onlyFor ?? null, at: this.#now() });
    this.#emit(id);
    this.#trim(id);
    return id;
  }

  /** Replaces a message's text, images and buttons (a reply kept up to date). */
  update(id: string, message: ChatMessage): void {
    const stored = this.#messages.get(id);
    if (stored === undefined) return;
    this.#deleteImages(stored);
    Object.assign(stored, { text: message.text, imageIds: this.#storeImages(message), buttons: [...(message.buttons ?? [])], at: this.#now() });
    this.#emit(id);
    this.#trim(id);
  }

  /** Takes a message away from every browser. */
  remove(id: string): void {
    if (!this.#messages.has(id)) return;
    this.#drop(id);
    for (const listener of this.#listeners.keys()) listener({ type: 'remove', id });
  }

  /** The messages `memberId` may see, oldest first. */
  history(memberId: string): WebMessage[] {
    return [...this.#messages.values()].filter((m) => m.onlyFor === null || m.onlyFor === memberId).map((m) => this.#view(m));
  }

  /** A message as `memberId` sees it; undefined when it is gone or not theirs to see. */
  message(id: string, memberId: string): WebMessage | undefined {
    const stored = this.#messages.get(id);
    return stored === undefined || (stored.onlyFor !== null && stored.onlyFor !== memberId) ? undefined : this.#view(stored);
  }

  /** An image of a message still in the channel. */
  image(id: string): StoredImage | undefined {
    return this.#images.get(id);
  }

  /** Calls `listener` with every change `memberId` may see, until the returned function is called. */
  subscribe(memberId: string, listener: (event: ChannelEvent) => void): () => void {
    this.#listeners.set(listener, memberId);
    return () => this.#listeners.delete(listener);
  }

  /**
   * How the core answers one command or button press of `member`: its first `show` adds the
   * reply, later ones replace it; `remove` takes away the message the pressed button is on.
   */
  replyTo(member: { id: string }, pressedMessageId?: string): ChatReply {
    let replyId: string | undefined;
    return {
      show: async (message) => {
        if (replyId === undefined) replyId = this.add(TEAMBOOTH_AUTHOR, message);
        else this.update(replyId, message);
      },
      post: async (message) => {
        this.add(TEAMBOOTH_AUTHOR, { ...message, text: message.mention === undefined ? message.text : `<@${message.mention}> ${message.text}` });
      },
      whisper: async (text) => {
        this.add(TEAMBOOTH_AUTHOR, { text }, { onlyFor: member.id });
      },
      remove: async () => {
        if (pressedMessageId !== undefined) this.remove(pressedMessageId);
      },
    };
  }

  #storeImages(message: ChatMessage): { name: string; id: string }[] {
    return (message.images ?? []).map((image) => {
      const id = `i${this.#imagePrefix}-${this.#nextId++}${/\.[a-z]+$/i.exec(image.name)?.[0] ?? ''}`;
      this.#images.set(id, { bytes: image.bytes, type: typeFromName(image.name) ?? 'image/png' });
      this.#imageBytes += image.bytes.byteLength;
      return { name: image.name, id };
    });
  }

  /** Drops the oldest messages while there are too many, or their images take too much memory; never `keep`. */
  #trim(keep: string): void {
    for (const [oldest] of this.#messages) {
      if (oldest === keep || (this.#messages.size <= this.#maxMessages && this.#imageBytes <= this.#maxImageBytes)) return;
      this.remove(oldest);
    }
  }

  #deleteImages(stored: StoredMessage): void {
    for (const image of stored.imageIds) {
      this.#imageBytes -= this.#images.get(image.id)?.bytes.byteLength ?? 0;
      this.#images.delete(image.id);
    }
  }

  #drop(id: string): void {
    const stored = this.#messages.get(id);
    if (stored !== undefined) this.#deleteImages(stored);
    this.#messages.delete(id);
  }

  #emit(id: string): void {
    const stored = this.#messages.get(id)!;
    const message = this.#view(stored);
    for (const [listener, memberId] of this.#listeners) {
      if (stored.onlyFor === null || stored.onlyFor === memberId) listener({ type: 'message', message });
    }
  }

  #view(stored: StoredMessage): WebMessage {
    const { imageIds, text, ...rest } = stored;
    return {
      ...rest,
      text: text.replace(/<@([^>]+)>/g, (_, id: string) => `@${this.#members.get(id) ?? id}`).replace(/<#([^>]+)>/g, '#$1'),
      images: imageIds.map((image) => ({ name: image.name, url: `/api/images/${image.id}` })),
    };
  }
}

import type { Logger } from 'pino';
import type { ClusterClient } from '../../cluster/client/cluster-client.ts';
import { describeDuration, describeQueue, isFinished, outputsOf, parseJobReply, type JobUpdate } from '../../cluster/client/job-wording.ts';
import { registerAgent } from '../../cluster/jobs/agent-token.ts';
import { JOB_LIMITS } from '../../cluster/jobs/job-params.ts';
import { CommandRejectedError } from '../../cluster/raft/errors.ts';
import { isAgentOnline } from '../../cluster/state/agent-online.ts';
import { fields } from '../../cluster/state/commands.ts';
import type { AgentView, Job, ModelVersion, Subject } from '../../cluster/state/types.ts';
import { memberIdOf, requesterOf, typeFromName, type ChatAttachment, type ChatButton, type ChatMessage, type ChatRequest } from './chat-port.ts';
import { fetchBytes } from './fetch-bytes.ts';
import { followJob } from './job-follower.ts';
import { blockedWordIn, readServerSettings, writeServerSettings, type ServerSettings } from './server-settings.ts';

/** The cluster calls the bots make (an admin client: bots submit for their members). */
export type BotClusterApi = Pick<ClusterClient, 'jobs' | 'watchJob' | 'query' | 'propose' | 'statusAll'>;

/** Options of {@link BotCore}. */
export interface BotCoreOptions {
  cluster: BotClusterApi;
  logger: Logger;
  now: () => number;
  /** Uniform in [0, 1): seeds of rerolls. */
  random: () => number;
  /** Least time between two edits of one message (platforms limit edits). */
  minEditIntervalMs: number;
  /** The model's square image side: sizes given as an aspect ratio keep about its area. */
  imageSide: number;
  /** Downloads a finished job's result from its presigned URL. */
  download?: (url: string, signal: AbortSignal) => Promise<Uint8Array>;
}

/** `/imagine` options as members give them. */
export interface ImagineOptions {
  prompt: string;
  negative?: string;
  seed?: number;
  steps?: number;
  /** `WIDTHxHEIGHT`, e.g. `512x768`. */
  size?: string;
  /** `W:H`, e.g. `3:2`; ignored when `size` is given. */
  aspect?: string;
  guidance?: number;
  count?: number;
}

/** `/train` options. */
export interface TrainOptions {
  photos: readonly ChatAttachment[];
  token: string;
  classWord: string;
}

/** What members may attach to `/train`. */
export const TRAIN_PHOTO_LIMITS = { min: JOB_LIMITS.minPhotos, max: 10, maxBytes: 10 * 2 ** 20, types: ['image/png', 'image/jpeg', 'image/webp'] } as const;

/** A member's mistake: the message says what to change, kindly. */
class MemberError extends Error {}

const BUTTON_PREFIX = 'tb';
type ButtonAction = 'reroll' | 'vary' | 'delete' | 'params' | 'cancel';

function button(action: ButtonAction, jobId: string, label: string, style: ChatButton['style'] = 'secondary'): ChatButton {
  return { id: `${BUTTON_PREFIX}:${action}:${jobId}`, label, style };
}

/**
 * The chat commands, for any platform: `/imagine`, `/train`, `/subjects`, `/model`, `/status`,
 * `/cancel`, `/help`, the admin commands (`/agent token|list|revoke`, `/settings`) and the buttons
 * under results. Each command checks what the member gave before it asks the cluster anything,
 * submits with the interaction's id as idempotency key (a retried interaction never makes two
 * jobs), keeps one message up to date while the job runs, and answers every mistake a member can
 * make with a short message that says what to change.
 */
export class BotCore {
  readonly #options: BotCoreOptions;
  readonly #cluster: BotClusterApi;

  constructor(options: BotCoreOptions) {
    this.#options = options;
    this.#cluster = options.cluster;
  }

  /** `/imagine`: one or more images of a prompt, on the current shared model. */
  imagine(request: ChatRequest, options: ImagineOptions): Promise<void> {
    return this.#run(request, async () => {
      const settings = await this.#admit(request);
      const blocked = blockedWordIn(`${options.prompt} ${options.negative ?? ''}`, settings);
      if (blocked !== undefined) throw new MemberError(`This server does not allow the word "${blocked}" in prompts; rephrase it and try again.`);
      await this.#checkActiveJobs(request, settings);
      await this.#imagineJob(request, this.#imagineParams(options));
    });
  }

  /** `/train`: photos of a subject become a LoRA, merged into the shared model; the channel hears when it is in. */
  train(request: ChatRequest, options: TrainOptions): Promise<void> {
    return this.#run(request, async () => {
      const settings = await this.#admit(request);
      checkPhotos(options.photos);
      const token = options.token.trim().toLowerCase();
      const classWord = options.classWord.trim().toLowerCase();
      if (!fields.subjectToken.safeParse(token).success) throw new MemberError(`"${options.token}" cannot be a token: use 2 to 32 lowercase letters or digits, a rare word such as sks, zxq or vfy.`);
      if (!fields.classWord.safeParse(classWord).success) throw new MemberError(`"${options.classWord}" cannot be a class: use a plain word for what the subject is, such as dog, mug or glyph.`);
      await this.#checkTokenFree(request, token);
      await this.#checkActiveJobs(request, settings);
      await request.reply.show({ text: `Checking your ${options.photos.length} photos of **${token} ${classWord}**…` });
      const photos = [];
      for (const [i, photo] of options.photos.entries()) {
        const bytes = await photo.download(request.signal);
        if (bytes.byteLength > TRAIN_PHOTO_LIMITS.maxBytes) throw tooLarge(photo);
        photos.push({ name: `photo-${i + 1}${extensionOf(photo)}`, data: bytes });
      }
      const upload = await this.#cluster.jobs('UploadPhotos', { photos }, { mode: 'any', auth: 'admin', signal: request.signal });
      const params = { uploadId: upload.uploadId, photos: upload.names, token, classWord };
      const subject = `**${token} ${classWord}**`;
      const job = await this.#submit(request, 'train', params, subject);
      const trained = await this.#follow(request, job.id, (update) => progressMessage(`Training ${subject}`, job.id, update));
      if (trained.state !== 'succeeded') {
        await request.reply.show({ text: describeEnd(trained, `Training ${subject}`) });
        return;
      }
      const mergeJobId = trained.result?.mergeJobId;
      if (typeof mergeJobId !== 'string') {
        await request.reply.show({ text: `Trained ${subject}.` });
        return;
      }
      await request.reply.show({ text: `Trained ${subject} in ${describeDuration((trained.finishedAt ?? 0) - (trained.startedAt ?? trained.createdAt))}. Adding it to the shared model…` });
      const merge = await this.#follow(request, mergeJobId, () => ({ text: `Trained ${subject}. Adding it to the shared model…` }));
      if (merge.state !== 'succeeded') {
        await request.reply.show({ text: describeEnd(merge, `Adding ${subject} to the shared model`) });
        return;
      }
      const prompt = `a photo of ${token} ${classWord}`;
      await request.reply.show({ text: `${subject} is in the shared model (${merge.modelVersion}).` });
      await request.reply.post({
        text: `trained ${subject} into the shared model (${merge.modelVersion}). Try it: \`/imagine ${prompt}\``,
        mention: request.member.id,
      });
    });
  }

  /** `/subjects`: who trained what, and in which version it arrived. */
  subjects(request: ChatRequest): Promise<void> {
    return this.#run(request, async () => {
      const { subjects } = (await this.#cluster.query({ type: 'listSubjects' }, { signal: request.signal })) as { subjects: Subject[] };
      if (subjects.length === 0) {
        await request.reply.show({ text: 'No subjects yet. Train one with `/train`: 3 to 10 photos, a rare token and a class word.' });
        return;
      }
      const lines = subjects.slice(-25).map((s) => {
        const owner = memberIdOf(s.owner, request.place);
        const who = owner === null ? s.owner : `<@${owner}>`;
        const where = s.status === 'merged' ? `in the model since ${s.versionId}` : s.status;
        return `• **${s.token} ${s.classWord}** by ${who}: ${where}`;
      });
      await request.reply.show({ text: [`**Subjects** (${subjects.length})`, ...lines].join('\n') });
    });
  }

  /** `/model`: the current version and the last ones. */
  model(request: ChatRequest): Promise<void> {
    return this.#run(request, async () => {
      const { versions, currentVersion } = (await this.#cluster.query({ type: 'listModelVersions' }, { signal: request.signal })) as { versions: ModelVersion[]; currentVersion: string | null };
      if (currentVersion === null) {
        await request.reply.show({ text: 'The shared model has no version yet; an admin imports the base model with `teambooth model import`.' });
        return;
      }
      const current = versions.find((v) => v.id === currentVersion)!;
      const history = versions.slice(-10).reverse().map((v) => {
        const what = v.parent === null ? 'the base model' : v.mergeJobId === null ? 'imported' : `${v.subjects.at(-1) ?? 'rebuilt'} added (${v.mergeMethod})`;
        return `• ${v.id}${v.id === currentVersion ? ' (current)' : ''}: ${what}, ${new Date(v.createdAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
      });
      await request.reply.show({
        text: [`**Model ${current.id}**: ${current.subjects.length === 0 ? 'no subjects yet' : `${current.subjects.length} subjects (${current.subjects.join(', ')})`}`, ...history].join('\n'),
      });
    });
  }

  /** `/status`: the cluster, the queue and the agents, at a glance. */
  status(request: ChatRequest): Promise<void> {
    return this.#run(request, async () => {
      const [nodes, summary, { agents }] = await Promise.all([
        this.#cluster.statusAll(request.signal),
        this.#cluster.query({ type: 'summary' }, { stale: true, signal: request.signal }) as Promise<{ jobs: Record<string, number>; currentVersion: string | null }>,
        this.#cluster.query({ type: 'listAgents', status: 'active' }, { stale: true, signal: request.signal }) as Promise<{ agents: AgentView[] }>,
      ]);
      const up = nodes.filter((n) => n.status !== undefined);
      const leader = up.find((n) => n.status?.role === 'leader')?.status?.id ?? 'none';
      const online = agents.filter((a) => isAgentOnline(a, this.#options.now())).length;
      await request.reply.show({
        text: [
          `**Cluster**: ${up.length} of ${nodes.length} nodes up, leader ${leader}`,
          `**Queue**: ${summary.jobs.queued ?? 0} waiting, ${(summary.jobs.leased ?? 0) + (summary.jobs.running ?? 0)} running`,
          `**Agents**: ${online} online of ${agents.length} registered`,
          `**Model**: ${summary.currentVersion ?? 'none yet'}`,
        ].join('\n'),
      });
    });
  }

  /** `/cancel [job]`: the member's newest unfinished job, or the one named. */
  cancel(request: ChatRequest, jobId?: string): Promise<void> {
    return this.#run(request, async () => {
      let id = jobId?.trim();
      if (id === undefined || id === '') {
        id = (await this.#activeJobs(request, false)).at(-1)?.id;
        if (id === undefined) throw new MemberError('You have no job waiting or running.');
      }
      await this.#cancelJob(request, id);
    });
  }

  /** `/help`. */
  help(request: ChatRequest): Promise<void> {
    return request.reply.show({
      text: [
        '**Teambooth**: one image model this community trains together.',
        '`/imagine prompt`: images of a prompt (options: negative, seed, steps, size or aspect, guidance, count).',
        '`/train photos token class`: 3 to 10 photos of a subject; once trained, everyone can draw "a photo of TOKEN CLASS".',
        '`/subjects`, `/model`, `/status`: who trained what, the model\'s versions, the cluster.',
        '`/cancel`: stops your newest job.',
        ...(request.member.isAdmin ? ['Admins: `/agent token NAME`, `/agent list`, `/agent revoke ID`, `/settings`.'] : []),
      ].join('\n'),
    });
  }

  /** `/agent token NAME` (admins): registers a GPU agent; the token is shown once, to the admin only. */
  agentToken(request: ChatRequest, name: string): Promise<void> {
    return this.#admin(request, async () => {
      const { result, token } = await registerAgent(this.#cluster, { name: name.trim(), owner: requesterOf(request) }, { signal: request.signal });
      const agent = result as AgentView;
      await request.reply.whisper(
        `Registered agent ${agent.id} ("${agent.name}"). Its token, shown only now:\n\`${token}\`\nStart it with TEAMBOOTH_AGENT_TOKEN=<token> teambooth agent --servers ...; revoke it with /agent revoke ${agent.id}.`,
      );
    });
  }

  /** `/agent list` (admins). */
  agentList(request: ChatRequest): Promise<void> {
    return this.#admin(request, async () => {
      const { agents } = (await this.#cluster.query({ type: 'listAgents' }, { signal: request.signal })) as { agents: AgentView[] };
      const lines = agents.map((a) => `• ${a.id} "${a.name}" ${a.status}${a.capabilities === null ? ', not connected yet' : `, ${a.capabilities.provider}${a.capabilities.canTrain ? ', trains' : ''}`}${a.pausedReason === null ? '' : ` (${a.pausedReason})`}`);
      await request.reply.whisper(agents.length === 0 ? 'No agents yet; register one with /agent token NAME.' : [`**Agents** (${agents.length})`, ...lines].join('\n'));
    });
  }

  /** `/agent revoke ID` (admins). */
  agentRevoke(request: ChatRequest, agentId: string): Promise<void> {
    return this.#admin(request, async () => {
      await this.#cluster.propose({ type: 'revokeAgent', agentId: agentId.trim() }, request.signal);
      await request.reply.whisper(`Revoked agent ${agentId.trim()}; its token no longer works.`);
    });
  }

  /** `/settings` (admins): shows the server's settings, or changes one. */
  settings(request: ChatRequest, change: { allowChannel?: string; removeChannel?: string; block?: string; unblock?: string; maxJobs?: number } = {}): Promise<void> {
    return this.#admin(request, async () => {
      const current = await readServerSettings(this.#cluster, request.place, request.signal);
      const next: ServerSettings = {
        channels: [...new Set([...current.channels.filter((c) => c !== change.removeChannel), ...(change.allowChannel === undefined ? [] : [change.allowChannel])])],
        blockedWords: [...new Set([...current.blockedWords.filter((w) => w !== change.unblock?.toLowerCase()), ...(change.block === undefined ? [] : [change.block.toLowerCase()])])],
        maxActiveJobsPerMember: change.maxJobs ?? current.maxActiveJobsPerMember,
      };
      if (JSON.stringify(next) !== JSON.stringify(current)) await writeServerSettings(this.#cluster, request.place, next, request.signal);
      await request.reply.whisper(
        [
          `Channels: ${next.channels.length === 0 ? 'all' : next.channels.map((c) => `<#${c}>`).join(', ')}`,
          `Jobs per member at once: ${next.maxActiveJobsPerMember}`,
          `Blocked words: ${next.blockedWords.length === 0 ? 'none' : next.blockedWords.join(', ')}`,
        ].join('\n'),
      );
    });
  }

  /** A button under one of the core's messages was pressed. */
  press(request: ChatRequest, buttonId: string): Promise<void> {
    return this.#run(request, async () => {
      const [prefix, action, jobId] = buttonId.split(':') as [string, ButtonAction, string];
      if (prefix !== BUTTON_PREFIX || !fields.jobId.safeParse(jobId).success) throw new MemberError('That button is no longer valid.');
      if (action === 'cancel') {
        await this.#cancelJob(request, jobId);
        return;
      }
      const job = parseJobReply(await this.#cluster.jobs('Get', { jobId }, { mode: 'any', auth: 'admin', signal: request.signal })).job;
      const own = job.requester === requesterOf(request) || request.member.isAdmin;
      switch (action) {
        case 'delete':
          if (!own) throw new MemberError('Only the member who asked for these images can delete them.');
          await request.reply.remove();
          return;
        case 'params':
          await request.reply.whisper(`Parameters of ${job.id}:\n\`\`\`\n${JSON.stringify(job.params, null, 1)}\n\`\`\``);
          return;
        case 'reroll':
        case 'vary': {
          const settings = await this.#admit(request);
          await this.#checkActiveJobs(request, settings);
          const seed = Number(job.params.seed);
          const params = action === 'reroll' ? { ...job.params, seed: Math.floor(this.#options.random() * 2 ** 31) } : { ...job.params, seed: seed + 1, count: 4 };
          await this.#imagineJob(request, params);
          return;
        }
        default:
          throw new MemberError('That button is no longer valid.');
      }
    });
  }

  async #imagineJob(request: ChatRequest, params: Record<string, unknown>): Promise<void> {
    // The prompt arrives trimmed (#imagineParams, or a stored job's params), as the cluster keeps it: the label is the job's.
    const label = `**${String(params.prompt)}**`;
    const job = await this.#submit(request, 'imagine', params, label);
    const done = await this.#follow(request, job.id, (update) => progressMessage(label, job.id, update));
    if (done.state !== 'succeeded') {
      await request.reply.show({ text: describeEnd(done, label) });
      return;
    }
    const urls = await this.#cluster.jobs('ResultUrls', { jobId: done.id }, { mode: 'any', auth: 'admin', signal: request.signal });
    const download = this.#options.download ?? downloadResult;
    const images = [];
    for (const output of outputsOf(done)) images.push({ name: `${done.id}-${output.name}`, bytes: await download(urls.urls[output.name]!, request.signal) });
    const p = done.params;
    await request.reply.show({
      text: `${label} · seed ${String(p.seed)} · ${String(p.steps)} steps · ${String(p.width)}x${String(p.height)} · model ${done.modelVersion ?? 'built-in'} · <@${request.member.id}>`,
      images,
      buttons: [button('reroll', done.id, 'Reroll', 'primary'), button('vary', done.id, 'Variations'), button('params', done.id, 'Parameters'), button('delete', done.id, 'Delete', 'danger')],
    });
  }

  #imagineParams(options: ImagineOptions): Record<string, unknown> {
    const prompt = options.prompt.trim();
    if (prompt === '') throw new MemberError('Describe the image you want: the prompt is empty.');
    const { width, height } = this.#size(options);
    return {
      prompt,
      ...(options.negative === undefined || options.negative.trim() === '' ? {} : { negativePrompt: options.negative.trim() }),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.steps === undefined ? {} : { steps: options.steps }),
      ...(options.guidance === undefined ? {} : { guidanceScale: options.guidance }),
      ...(options.count === undefined ? {} : { count: options.count }),
      width,
      height,
    };
  }

  #size(options: ImagineOptions): { width: number; height: number } {
    const side = this.#options.imageSide;
    if (options.size !== undefined && options.size.trim() !== '') {
      const match = /^\s*(\d{1,5})\s*[x×*]\s*(\d{1,5})\s*$/i.exec(options.size);
      if (match === null) throw new MemberError(`"${options.size}" is not a size: write it as WIDTHxHEIGHT, such as ${side}x${side}.`);
      return { width: Number(match[1]), height: Number(match[2]) };
    }
    if (options.aspect !== undefined && options.aspect.trim() !== '') {
      const match = /^\s*(\d{1,2})\s*:\s*(\d{1,2})\s*$/.exec(options.aspect);
      const ratio = match === null ? Number.NaN : Number(match[1]) / Number(match[2]);
      if (!(ratio >= 0.25 && ratio <= 4)) throw new MemberError(`"${options.aspect}" is not an aspect ratio I can draw: use W:H between 1:4 and 4:1, such as 3:2.`);
      const round8 = (v: number) => Math.max(8, Math.round(v / 8) * 8);
      return { width: round8(side * Math.sqrt(ratio)), height: round8(side / Math.sqrt(ratio)) };
    }
    return { width: side, height: side };
  }

  /** Submits a job and shows it waiting under `label` (the prompt or subject, in bold). */
  async #submit(request: ChatRequest, kind: 'imagine' | 'train', params: Record<string, unknown>, label: string): Promise<Job> {
    const reply = await this.#cluster.jobs(
      'Submit',
      { kind, params: JSON.stringify(params), requester: requesterOf(request), idempotencyKey: `${request.place.platform}:${request.interactionId}` },
      { mode: 'leader', auth: 'admin', signal: request.signal },
    );
    const submitted = parseJobReply(reply);
    await request.reply.show(progressMessage(label, submitted.job.id, submitted));
    return submitted.job;
  }

  #follow(request: ChatRequest, jobId: string, render: (update: JobUpdate) => ChatMessage): Promise<Job> {
    return followJob(this.#cluster, jobId, {
      onUpdate: (update) => request.reply.show(render(update)),
      minIntervalMs: this.#options.minEditIntervalMs,
      now: this.#options.now,
      signal: request.signal,
    }).then((update) => update.job);
  }

  async #cancelJob(request: ChatRequest, jobId: string): Promise<void> {
    try {
      await this.#cluster.jobs('Cancel', { jobId, requester: request.member.isAdmin ? '' : requesterOf(request) }, { mode: 'leader', auth: 'admin', signal: request.signal });
    } catch (error) {
      if (error instanceof CommandRejectedError && error.code === 'permission_denied') throw new MemberError('Only the member who started that job (or an admin) can cancel it.');
      throw error;
    }
    await request.reply.whisper(`Cancelled ${jobId}.`);
  }

  /** The server's settings, after checking that the bot may be used in this channel. */
  async #admit(request: ChatRequest): Promise<ServerSettings> {
    const settings = await readServerSettings(this.#cluster, request.place, request.signal);
    if (settings.channels.length > 0 && !settings.channels.includes(request.place.channelId)) {
      throw new MemberError(`The bot works in ${settings.channels.map((c) => `<#${c}>`).join(', ')} on this server; ask there.`);
    }
    return settings;
  }

  /** The member's jobs that are waiting or running, oldest first; `stale` lets any node answer. */
  async #activeJobs(request: ChatRequest, stale: boolean): Promise<Job[]> {
    const options = stale ? { stale: true, signal: request.signal } : { signal: request.signal };
    const { jobs } = (await this.#cluster.query({ type: 'listJobs', requester: requesterOf(request) }, options)) as { jobs: Job[] };
    return jobs.filter((j) => !isFinished(j));
  }

  async #checkActiveJobs(request: ChatRequest, settings: ServerSettings): Promise<void> {
    const active = (await this.#activeJobs(request, true)).length;
    if (active >= settings.maxActiveJobsPerMember) {
      throw new MemberError(`You already have ${active} jobs waiting or running (this server allows ${settings.maxActiveJobsPerMember} at once); wait for one to finish, or /cancel one.`);
    }
  }

  async #checkTokenFree(request: ChatRequest, token: string): Promise<void> {
    let subject: Subject;
    try {
      subject = (await this.#cluster.query({ type: 'getSubject', token }, { signal: request.signal })) as Subject;
    } catch (error) {
      if (error instanceof CommandRejectedError && error.code === 'not_found') return;
      throw error;
    }
    if (subject.status === 'failed' && subject.owner === requesterOf(request)) return;
    const owner = memberIdOf(subject.owner, request.place);
    throw new MemberError(`The token "${token}" is already taken (by ${owner === null ? subject.owner : `<@${owner}>`}); pick another rare word, such as ${token}x or a new made-up word.`);
  }

  #admin(request: ChatRequest, work: () => Promise<void>): Promise<void> {
    return this.#run(request, async () => {
      if (!request.member.isAdmin) {
        await request.reply.whisper('Only this server\'s admins can do that.');
        return;
      }
      await work();
    });
  }

  /** Runs a command; a member's mistake or a refusal by the cluster becomes a kind message, anything else a short apology. */
  async #run(request: ChatRequest, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (request.signal.aborted) return;
      if (error instanceof MemberError) {
        await request.reply.show({ text: error.message });
        return;
      }
      if (error instanceof CommandRejectedError) {
        const why = error.message.replace(/^invalid /, '').replace(/\.$/, '');
        await request.reply.show({ text: `I couldn't do that${error.code === 'failed_precondition' ? ' now' : ''}: ${why}.` });
        return;
      }
      this.#options.logger.error({ err: error, platform: request.place.platform, member: request.member.id }, 'command failed');
      await request.reply.show({ text: 'Something went wrong on our side; please try again in a minute.' }).catch(() => {});
    }
  }
}

function checkPhotos(photos: readonly ChatAttachment[]): void {
  const { min, max, maxBytes, types } = TRAIN_PHOTO_LIMITS;
  if (photos.length < min || photos.length > max) {
    throw new MemberError(`Attach ${min} to ${max} photos of your subject (you attached ${photos.length}): different angles and backgrounds work best.`);
  }
  for (const photo of photos) {
    const type = photo.contentType ?? typeFromName(photo.name);
    if (!(types as readonly string[]).includes(type ?? '')) throw new MemberError(`${photo.name} is not a photo I can use (${type ?? 'unknown type'}); attach PNG, JPEG or WebP images.`);
    if (photo.size > maxBytes) throw tooLarge(photo);
  }
}

function tooLarge(photo: ChatAttachment): MemberError {
  return new MemberError(`${photo.name} is larger than ${TRAIN_PHOTO_LIMITS.maxBytes / 2 ** 20} MiB; attach a smaller photo.`);
}

function extensionOf(photo: ChatAttachment): string {
  const type = photo.contentType ?? typeFromName(photo.name);
  return type === 'image/jpeg' ? '.jpg' : type === 'image/webp' ? '.webp' : '.png';
}

/** "waiting: 2nd in line, about 40 s", "step 12/20", "training: step 300/1000, loss 0.1234". */
function describeProgress(update: JobUpdate): string {
  const { job, queue } = update;
  if (job.state === 'queued') return queue === null ? 'waiting in line' : `waiting: ${describeQueue(queue)}`;
  if (job.progress === null) return 'starting';
  const loss = job.progress.loss === null ? '' : `, loss ${job.progress.loss.toFixed(4)}`;
  return `${job.progress.phase ?? 'working'}: step ${job.progress.step}/${job.progress.total}${loss}`;
}

/** A job's progress under `label`, with a button that cancels it. */
function progressMessage(label: string, jobId: string, update: JobUpdate): ChatMessage {
  return { text: `${label}: ${describeProgress(update)}`, buttons: [button('cancel', jobId, 'Cancel', 'danger')] };
}

/** How a job that did not succeed ended, for the member. */
function describeEnd(job: Job, what: string): string {
  if (job.state === 'cancelled') return `${what}: cancelled.`;
  const reason = job.errors.at(-1)?.message;
  return `${what} did not work${reason === undefined ? '' : `: ${reason}`}. Try again, or ask an admin if it keeps failing.`;
}

function downloadResult(url: string, signal: AbortSignal): Promise<Uint8Array> {
  return fetchBytes(url, 'a result', signal);
}

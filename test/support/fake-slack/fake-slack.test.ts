import { LogLevel } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FakeSlack,
  fileInputValue,
  plainTextValue,
  SEED_IDS,
  startBoltTestApp,
  type BoltTestApp,
} from './index.ts';
import { deferred } from '../deferred.ts';

const SIGNING_SECRET = 'fake-signing-secret';

describe('FakeSlack with a real Bolt app', () => {
  let fake: FakeSlack;
  let bolt: BoltTestApp | undefined;

  beforeEach(async () => {
    fake = await FakeSlack.start();
  });

  afterEach(async () => {
    const errors = bolt?.logger.at(LogLevel.ERROR) ?? [];
    await bolt?.stop();
    bolt = undefined;
    expect(errors).toEqual([]);
    await fake.close();
  });

  it('acks a slash command before the handler posts and then updates its message', async () => {
    const gate = deferred();
    bolt = await startBoltTestApp(fake, SIGNING_SECRET, (app) => {
      app.command('/imagine', async ({ ack, command, client }) => {
        await ack({ response_type: 'ephemeral', text: 'On it' });
        await gate.promise;
        const channel = command.channel_id;
        const posted = await client.chat.postMessage({ channel, text: `Generating ${command.text}` });
        await client.chat.update({ channel, ts: posted.ts as string, text: 'Done' });
      });
    });

    const ack = await bolt.sender.slashCommand({
      command: '/imagine',
      text: 'a red star',
      userId: SEED_IDS.bob,
      channelId: SEED_IDS.general,
    });
    // Bolt answers 404 to a request nobody acked within 3 s; a 200 with the ack body is the ack.
    expect(ack.status).toBe(200);
    expect(ack.json).toEqual({ response_type: 'ephemeral', text: 'On it' });
    expect(fake.calls('chat.postMessage')).toHaveLength(0);

    gate.resolve();
    const post = await fake.waitForCall('chat.postMessage');
    const update = await fake.waitForCall('chat.update', (c) => c.args.ts === post.response.ts);
    expect(post.token).toBe(fake.botToken);
    expect(post.args).toMatchObject({ channel: SEED_IDS.general, text: 'Generating a red star' });
    expect(update.response.ok).toBe(true);
    expect(update.seq).toBeGreaterThan(post.seq);
    expect(fake.message(SEED_IDS.general, String(post.response.ts))).toMatchObject({ text: 'Done', edited: true });
  });

  it('completes files.uploadV2 and serves the bytes only with the bot token', async () => {
    bolt = await startBoltTestApp(fake, SIGNING_SECRET, () => {});
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
    const thread = await bolt.app.client.chat.postMessage({ channel: SEED_IDS.general, text: 'results' });

    const result = await bolt.app.client.files.uploadV2({
      channel_id: SEED_IDS.general,
      thread_ts: thread.ts as string,
      file: bytes,
      filename: 'star.png',
      title: 'A red star',
    });

    // uploadV2 is typed as a bare WebAPICallResult; it holds one completeUploadExternal answer a job.
    const completions = (result as unknown as { files: { files: { id: string }[] }[] }).files;
    const fileId = completions[0]?.files[0]?.id as string;
    const stored = fake.file(fileId);
    expect(stored?.bytes.equals(bytes)).toBe(true);
    expect(stored).toMatchObject({ name: 'star.png', title: 'A red star', mimetype: 'image/png' });
    expect(stored?.shares).toEqual([{ channel: SEED_IDS.general, ts: expect.any(String), threadTs: thread.ts }]);
    expect(fake.calls().map((c) => c.method).filter((m) => m.startsWith('files') || m === 'upload')).toEqual([
      'files.getUploadURLExternal',
      'upload',
      'files.completeUploadExternal',
    ]);
    expect(fake.calls('files.completeUploadExternal')[0]?.args).toMatchObject({
      channel_id: SEED_IDS.general,
      thread_ts: thread.ts,
      files: [{ id: fileId, title: 'A red star' }],
    });

    const info = await bolt.app.client.files.info({ file: fileId });
    const urlPrivate = info.file?.url_private as string;
    const withToken = await fetch(urlPrivate, { headers: { Authorization: `Bearer ${fake.botToken}` } });
    expect(Buffer.from(await withToken.arrayBuffer()).equals(bytes)).toBe(true);
    const withoutToken = await fetch(urlPrivate);
    expect(withoutToken.status).toBe(200);
    expect(withoutToken.headers.get('content-type')).toContain('text/html');
  });

  it('delivers a file_input submission whose files the handler downloads with the bot token', async () => {
    const submitted = deferred<{ user: string; metadata: string; token: string; files: Buffer[] }>();
    bolt = await startBoltTestApp(fake, SIGNING_SECRET, (app) => {
      app.command('/train', async ({ ack, body, client }) => {
        await ack();
        await client.views.open({
          trigger_id: body.trigger_id,
          view: {
            type: 'modal',
            callback_id: 'train',
            private_metadata: body.channel_id,
            title: { type: 'plain_text', text: 'Train' },
            submit: { type: 'plain_text', text: 'Train' },
            blocks: [
              {
                type: 'input',
                block_id: 'photos',
                label: { type: 'plain_text', text: 'Photos' },
                element: { type: 'file_input', action_id: 'files', filetypes: ['png'], max_files: 10 },
              },
              {
                type: 'input',
                block_id: 'token',
                label: { type: 'plain_text', text: 'Token' },
                element: { type: 'plain_text_input', action_id: 'value' },
              },
            ],
          },
        });
      });
      app.view('train', async ({ ack, view, body, context }) => {
        await ack();
        const files = view.state.values.photos?.files?.files ?? [];
        const downloads = await Promise.all(
          files.map(async (f) => {
            const res = await fetch(f.url_private, { headers: { Authorization: `Bearer ${context.botToken}` } });
            return Buffer.from(await res.arrayBuffer());
          }),
        );
        submitted.resolve({
          user: body.user.id,
          metadata: view.private_metadata,
          token: view.state.values.token?.value?.value ?? '',
          files: downloads,
        });
      });
    });

    const command = await bolt.sender.slashCommand({
      command: '/train',
      userId: SEED_IDS.alice,
      channelId: SEED_IDS.general,
    });
    expect(command.status).toBe(200);
    const open = await fake.waitForCall('views.open');
    expect(open.response.ok).toBe(true);
    expect(open.args.trigger_id).toBe(command.triggerId);

    const photos = [Buffer.from('first photo'), Buffer.from('second photo')];
    const files = photos.map((bytes, i) => fake.addUserFile({ name: `glyph-${i}.png`, bytes }));
    const ack = await bolt.sender.viewSubmission({
      callbackId: 'train',
      values: { photos: { files: fileInputValue(files) }, token: { value: plainTextValue('zxq') } },
    });

    expect(ack.status).toBe(200);
    const got = await submitted.promise;
    expect(got).toMatchObject({ user: SEED_IDS.alice, metadata: SEED_IDS.general, token: 'zxq' });
    expect(got.files.map((b) => b.toString())).toEqual(['first photo', 'second photo']);
    const downloads = fake.calls('file_download');
    expect(downloads.map((c) => [c.args.file, c.response.ok])).toEqual(files.map((f) => [f.id, true]));
  });

  it('routes a button click to app.action and applies its response_url reply', async () => {
    bolt = await startBoltTestApp(fake, SIGNING_SECRET, (app) => {
      app.action('reroll', async ({ ack, action, respond }) => {
        await ack();
        const value = action.type === 'button' ? action.value : undefined;
        await respond({ replace_original: true, text: `Rerolling ${value}` });
      });
    });
    const posted = await bolt.app.client.chat.postMessage({
      channel: SEED_IDS.general,
      text: 'an image',
      blocks: [
        {
          type: 'actions',
          block_id: 'job-buttons',
          elements: [
            { type: 'button', action_id: 'reroll', value: 'job-7', text: { type: 'plain_text', text: 'Reroll' } },
          ],
        },
      ],
    });

    const ack = await bolt.sender.blockAction({
      actionId: 'reroll',
      value: 'job-7',
      userId: SEED_IDS.bob,
      channelId: SEED_IDS.general,
      messageTs: posted.ts as string,
    });

    expect(ack.status).toBe(200);
    const responsePath = new URL(ack.responseUrl as string).pathname;
    const reply = await fake.waitForCall('response_url', (c) => c.url === responsePath);
    expect(reply.args).toMatchObject({ replace_original: true, text: 'Rerolling job-7' });
    expect(fake.message(SEED_IDS.general, posted.ts as string)?.text).toBe('Rerolling job-7');
  });

  it('refuses forged and stale signatures with 401 and never runs the handler', async () => {
    let runs = 0;
    bolt = await startBoltTestApp(fake, SIGNING_SECRET, (app) => {
      app.command('/imagine', async ({ ack }) => {
        runs += 1;
        await ack();
      });
    });
    const input = { command: '/imagine', text: 'x', userId: SEED_IDS.bob, channelId: SEED_IDS.general };

    for (const signing of ['forged', 'stale', 'missing'] as const) {
      const res = await bolt.sender.slashCommand(input, { signing });
      expect(res.status, signing).toBe(401);
    }
    expect(runs).toBe(0);
    const warnings = bolt.logger.at(LogLevel.WARN).join('\n');
    expect(warnings).toMatch(/signature mismatch/);
    expect(warnings).toMatch(/stale/);
    expect((await bolt.sender.slashCommand(input)).status).toBe(200);
    expect(runs).toBe(1);
  });
});

describe('FakeSlack Web API', () => {
  let fake: FakeSlack;

  beforeEach(async () => {
    fake = await FakeSlack.start();
  });

  afterEach(async () => {
    await fake.close();
  });

  const client = (token?: string): WebClient =>
    new WebClient(token, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });

  it('answers invalid_auth to a wrong token and not_authed to none', async () => {
    await expect(client('xoxb-wrong').auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    await expect(client().auth.test()).rejects.toMatchObject({ data: { error: 'not_authed' } });
    expect(fake.calls('auth.test').map((c) => c.token)).toEqual(['xoxb-wrong', undefined]);
  });

  it('records unknown methods and answers unknown_method', async () => {
    await expect(client(fake.botToken).apiCall('reactions.add', { name: 'star' })).rejects.toMatchObject({
      data: { error: 'unknown_method' },
    });
    expect(fake.calls('reactions.add')[0]?.args).toMatchObject({ name: 'star' });
  });

  it('gives messages increasing ts values and knows users, admins and channels', async () => {
    const c = client(fake.botToken);
    const a = await c.chat.postMessage({ channel: SEED_IDS.general, text: 'one' });
    const b = await c.chat.postMessage({ channel: SEED_IDS.general, text: 'two' });
    expect([a.ts, b.ts]).toEqual(['1700000000.000001', '1700000000.000002']);
    expect((await c.users.info({ user: SEED_IDS.alice })).user?.is_admin).toBe(true);
    expect((await c.users.info({ user: SEED_IDS.bob })).user?.is_admin).toBe(false);
    expect((await c.conversations.info({ channel: SEED_IDS.secret })).channel?.is_member).toBe(false);
    await expect(c.chat.update({ channel: SEED_IDS.general, ts: '1.2', text: 'x' })).rejects.toMatchObject({
      data: { error: 'message_not_found' },
    });
    const modal = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'x' }, blocks: [] };
    await expect(c.views.open({ trigger_id: 'made-up', view: modal })).rejects.toMatchObject({
      data: { error: 'invalid_trigger_id' },
    });
  });

  it('fails a wait with the list of calls received', async () => {
    fake.failNext('chat.postMessage', 'ratelimited');
    const post = client(fake.botToken).chat.postMessage({ channel: SEED_IDS.general, text: 'hi' });
    await expect(post).rejects.toMatchObject({ data: { error: 'ratelimited' } });
    await expect(fake.waitForCall('chat.update', undefined, { timeoutMs: 20 })).rejects.toThrow(
      /no matching chat.update call within 20 ms; call entries received:\n {2}#0 chat.postMessage -> ratelimited/,
    );
  });
});

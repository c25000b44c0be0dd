import { SlashCommandBuilder, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import { LIMITS as IMAGINE_LIMITS } from '../../gpu-agent/pipeline/generation-request.ts';
import { TRAIN_PHOTO_LIMITS } from '../core/bot-core.ts';

/** The aspect ratios `/imagine` offers as choices. */
const ASPECTS = ['1:1', '3:2', '2:3', '4:3', '3:4', '16:9', '9:16'] as const;

/**
 * The slash commands of the Discord bot, as `teambooth bot discord deploy-commands` registers
 * them. Discord has no option taking several files, so `/train` takes `photo1` ... `photo10`
 * (the first three required).
 */
export function discordCommands(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  const imagine = new SlashCommandBuilder()
    .setName('imagine')
    .setDescription('Make images from a prompt with the shared model')
    .addStringOption((o) => o.setName('prompt').setDescription('What to draw').setRequired(true).setMaxLength(IMAGINE_LIMITS.maxPromptChars))
    .addStringOption((o) => o.setName('negative').setDescription('What to keep out of the image').setMaxLength(IMAGINE_LIMITS.maxPromptChars))
    .addIntegerOption((o) => o.setName('seed').setDescription('Same seed, same image').setMinValue(0))
    .addIntegerOption((o) => o.setName('steps').setDescription(`Denoising steps (1-${IMAGINE_LIMITS.maxSteps})`).setMinValue(1).setMaxValue(IMAGINE_LIMITS.maxSteps))
    .addStringOption((o) => o.setName('aspect').setDescription('Shape of the image').addChoices(...ASPECTS.map((a) => ({ name: a, value: a }))))
    .addStringOption((o) => o.setName('size').setDescription('WIDTHxHEIGHT in pixels (instead of aspect)'))
    .addNumberOption((o) => o.setName('guidance').setDescription(`How closely to follow the prompt (1-${IMAGINE_LIMITS.maxGuidance})`).setMinValue(1).setMaxValue(IMAGINE_LIMITS.maxGuidance))
    .addIntegerOption((o) => o.setName('count').setDescription(`How many images (1-${IMAGINE_LIMITS.maxCount})`).setMinValue(1).setMaxValue(IMAGINE_LIMITS.maxCount));
  const train = new SlashCommandBuilder()
    .setName('train')
    .setDescription('Teach the shared model a subject from your photos')
    .addStringOption((o) => o.setName('token').setDescription('A rare word that will mean your subject, e.g. zxq').setRequired(true).setMaxLength(32))
    .addStringOption((o) => o.setName('class').setDescription('What the subject is, e.g. dog').setRequired(true).setMaxLength(32));
  for (let i = 1; i <= TRAIN_PHOTO_LIMITS.max; i++) {
    train.addAttachmentOption((o) => o.setName(`photo${i}`).setDescription(`Photo ${i} of your subject`).setRequired(i <= TRAIN_PHOTO_LIMITS.min));
  }
  const agent = new SlashCommandBuilder()
    .setName('agent')
    .setDescription('GPU agents (admins)')
    .addSubcommand((s) => s.setName('token').setDescription('Register an agent and show its token once').addStringOption((o) => o.setName('name').setDescription('Agent name').setRequired(true)))
    .addSubcommand((s) => s.setName('list').setDescription('List the agents'))
    .addSubcommand((s) => s.setName('revoke').setDescription("Revoke an agent's token").addStringOption((o) => o.setName('id').setDescription('Agent id, e.g. a-1f2e3d4c').setRequired(true)));
  const settings = new SlashCommandBuilder()
    .setName('settings')
    .setDescription("This server's bot settings (admins)")
    .addChannelOption((o) => o.setName('allow-channel').setDescription('Let the bot answer in this channel (the first one limits it to the listed channels)'))
    .addChannelOption((o) => o.setName('remove-channel').setDescription('Stop answering in this channel'))
    .addStringOption((o) => o.setName('block').setDescription('A word prompts may not use'))
    .addStringOption((o) => o.setName('unblock').setDescription('Allow a blocked word again'))
    .addIntegerOption((o) => o.setName('max-jobs').setDescription('Jobs one member may have at once').setMinValue(1).setMaxValue(20));
  return [
    imagine,
    train,
    new SlashCommandBuilder().setName('subjects').setDescription('Who trained what into the shared model'),
    new SlashCommandBuilder().setName('model').setDescription("The shared model's current version and history"),
    new SlashCommandBuilder().setName('status').setDescription('The cluster, the queue and the agents'),
    new SlashCommandBuilder()
      .setName('cancel')
      .setDescription('Stop your newest job (or the one named)')
      .addStringOption((o) => o.setName('job').setDescription('A job id, e.g. j-42')),
    new SlashCommandBuilder().setName('help').setDescription('What the bot can do'),
    agent,
    settings,
  ].map((builder) => builder.toJSON());
}

/**
 * Every size of `teambooth-tiny` in one place. A test builds a second, differently sized model
 * through the same builder by changing this object.
 */
export interface TinyModelConfig {
  /** Seed of the weight initialisation (weights are random until the trainer replaces them). */
  seed: number;
  /** Image width and height in pixels; the latent is `imageSize / 2^(vae blocks - 1)` on a side. */
  imageSize: number;
  latentChannels: number;
  text: {
    /** Hidden size D of the text transformer (SD 1.5: 768). */
    width: number;
    layers: number;
    heads: number;
    /** MLP hidden size = width * mlpRatio. */
    mlpRatio: number;
    /** Token ids per prompt (CLIP: 77). */
    maxTokens: number;
  };
  unet: {
    /** Channels of each resolution level; each level after the first halves the resolution. */
    blockOutChannels: number[];
    /** Per level: whether it has self/cross-attention transformer blocks (SD 1.5: all but the lowest resolution; here the low resolutions). */
    crossAttention: boolean[];
    layersPerBlock: number;
    heads: number;
    normGroups: number;
  };
  vae: {
    /** Channels of each level; `length - 1` 2x resamplings (4 levels: 8x, as in SD). */
    blockOutChannels: number[];
    layersPerBlock: number;
    normGroups: number;
  };
  /** What the UNet predicts and how sampling spaces its timesteps (`scheduler/scheduler_config.json`). */
  scheduler: {
    /** `epsilon` (SD 1.x) or `v_prediction` (SD 2.x: `v = sqrt(abar) eps - sqrt(1 - abar) x0`). */
    predictionType: 'epsilon' | 'v_prediction';
    /** `leading` (SD 1.x: the first step starts below t = 999) or `trailing` (the first step starts at pure noise). */
    timestepSpacing: 'leading' | 'trailing';
  };
}

/**
 * Bumped whenever the graphs the builder writes change, so cached builds
 * (`ensureTinyModel`) are not reused across builder versions.
 */
export const TINY_MODEL_BUILDER_VERSION = 2;

/** The default `teambooth-tiny`: 64x64 RGB, 4x8x8 latents, 64-wide text, 77 tokens, epsilon prediction (as SD 1.x). */
export function defaultTinyModelConfig(): TinyModelConfig {
  return {
    seed: 1,
    imageSize: 64,
    latentChannels: 4,
    text: { width: 64, layers: 2, heads: 2, mlpRatio: 4, maxTokens: 77 },
    unet: { blockOutChannels: [32, 64], crossAttention: [false, true], layersPerBlock: 1, heads: 2, normGroups: 8 },
    vae: { blockOutChannels: [16, 32, 32, 32], layersPerBlock: 1, normGroups: 8 },
    scheduler: { predictionType: 'epsilon', timestepSpacing: 'leading' },
  };
}

/** The latent's side length for a config. */
export function latentSize(config: TinyModelConfig): number {
  return config.imageSize / 2 ** (config.vae.blockOutChannels.length - 1);
}

/** Checks that the sizes fit together; throws an error naming the field to change. */
export function validateTinyModelConfig(config: TinyModelConfig): void {
  const problems: string[] = [];
  const positive = (value: number, field: string): void => {
    if (!Number.isInteger(value) || value < 1) problems.push(`${field} must be a positive integer (is ${value})`);
  };
  positive(config.imageSize, 'imageSize');
  positive(config.latentChannels, 'latentChannels');
  for (const [key, value] of Object.entries(config.text)) positive(value, `text.${key}`);
  if (config.text.width % config.text.heads !== 0) problems.push(`text.width ${config.text.width} must divide by text.heads ${config.text.heads}`);
  const { unet, vae } = config;
  if (unet.blockOutChannels.length < 1) problems.push('unet.blockOutChannels needs at least one level');
  if (unet.crossAttention.length !== unet.blockOutChannels.length) problems.push('unet.crossAttention needs one flag per unet.blockOutChannels entry');
  positive(unet.layersPerBlock, 'unet.layersPerBlock');
  for (const channels of unet.blockOutChannels) {
    if (channels % unet.normGroups !== 0) problems.push(`unet.blockOutChannels ${channels} must divide by unet.normGroups ${unet.normGroups}`);
    if (channels % unet.heads !== 0) problems.push(`unet.blockOutChannels ${channels} must divide by unet.heads ${unet.heads}`);
  }
  if (vae.blockOutChannels.length < 1) problems.push('vae.blockOutChannels needs at least one level');
  positive(vae.layersPerBlock, 'vae.layersPerBlock');
  for (const channels of vae.blockOutChannels) {
    if (channels % vae.normGroups !== 0) problems.push(`vae.blockOutChannels ${channels} must divide by vae.normGroups ${vae.normGroups}`);
  }
  const latent = latentSize(config);
  if (!Number.isInteger(latent)) problems.push(`imageSize ${config.imageSize} must divide by 2^${vae.blockOutChannels.length - 1}`);
  else if (latent % 2 ** (unet.blockOutChannels.length - 1) !== 0) problems.push(`the latent size ${latent} must divide by 2^${unet.blockOutChannels.length - 1} for the unet levels`);
  if (problems.length > 0) throw new Error(`invalid tiny model config: ${problems.join('; ')}`);
}

import { latentSize, type TinyModelConfig } from './tiny-model-config.ts';

/** Stable Diffusion 1.x's VAE latent scaling factor. */
export const SD_SCALING_FACTOR = 0.18215;

/**
 * The JSON files of a diffusers ONNX directory besides the models and the tokenizer: relative path
 * -> object. `scalingFactor` is the trained VAE's (default SD's, for random weights).
 */
export function diffusersConfigs(config: TinyModelConfig, vocabulary: { size: number; bosId: number; eosId: number }, scalingFactor = SD_SCALING_FACTOR): Record<string, object> {
  const vaeLevels = config.vae.blockOutChannels.length;
  const vae = {
    _class_name: 'AutoencoderKL',
    in_channels: 3,
    out_channels: 3,
    latent_channels: config.latentChannels,
    block_out_channels: config.vae.blockOutChannels,
    layers_per_block: config.vae.layersPerBlock,
    norm_num_groups: config.vae.normGroups,
    act_fn: 'silu',
    down_block_types: Array.from({ length: vaeLevels }, () => 'DownEncoderBlock2D'),
    up_block_types: Array.from({ length: vaeLevels }, () => 'UpDecoderBlock2D'),
    sample_size: config.imageSize,
    scaling_factor: scalingFactor,
  };
  return {
    'model_index.json': {
      _class_name: 'OnnxStableDiffusionPipeline',
      _diffusers_version: '0.30.0',
      _name_or_path: 'teambooth-tiny',
      feature_extractor: [null, null],
      requires_safety_checker: false,
      safety_checker: [null, null],
      scheduler: ['diffusers', 'DDIMScheduler'],
      text_encoder: ['diffusers', 'OnnxRuntimeModel'],
      tokenizer: ['transformers', 'CLIPTokenizer'],
      unet: ['diffusers', 'OnnxRuntimeModel'],
      vae_decoder: ['diffusers', 'OnnxRuntimeModel'],
      vae_encoder: ['diffusers', 'OnnxRuntimeModel'],
    },
    'scheduler/scheduler_config.json': {
      _class_name: 'DDIMScheduler',
      _diffusers_version: '0.30.0',
      beta_start: 0.00085,
      beta_end: 0.012,
      beta_schedule: 'scaled_linear',
      num_train_timesteps: 1000,
      steps_offset: config.scheduler.timestepSpacing === 'leading' ? 1 : 0,
      prediction_type: config.scheduler.predictionType,
      clip_sample: false,
      set_alpha_to_one: false,
      timestep_spacing: config.scheduler.timestepSpacing,
    },
    'text_encoder/config.json': {
      architectures: ['CLIPTextModel'],
      model_type: 'clip_text_model',
      hidden_size: config.text.width,
      intermediate_size: config.text.width * config.text.mlpRatio,
      num_attention_heads: config.text.heads,
      num_hidden_layers: config.text.layers,
      max_position_embeddings: config.text.maxTokens,
      vocab_size: vocabulary.size,
      hidden_act: 'quick_gelu',
      layer_norm_eps: 1e-5,
      bos_token_id: vocabulary.bosId,
      eos_token_id: vocabulary.eosId,
      pad_token_id: vocabulary.eosId,
    },
    'unet/config.json': {
      _class_name: 'UNet2DConditionModel',
      sample_size: latentSize(config),
      in_channels: config.latentChannels,
      out_channels: config.latentChannels,
      block_out_channels: config.unet.blockOutChannels,
      layers_per_block: config.unet.layersPerBlock,
      attention_head_dim: config.unet.heads,
      cross_attention_dim: config.text.width,
      norm_num_groups: config.unet.normGroups,
      down_block_types: config.unet.crossAttention.map((a) => (a ? 'CrossAttnDownBlock2D' : 'DownBlock2D')),
      up_block_types: [...config.unet.crossAttention].reverse().map((a) => (a ? 'CrossAttnUpBlock2D' : 'UpBlock2D')),
      mid_block_type: 'UNetMidBlock2DCrossAttn',
      flip_sin_to_cos: true,
      freq_shift: 0,
      act_fn: 'silu',
    },
    'vae_decoder/config.json': vae,
    'vae_encoder/config.json': vae,
  };
}

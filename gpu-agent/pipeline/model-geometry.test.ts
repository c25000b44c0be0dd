import { describe, expect, it } from 'vitest';
import type { TensorInfo } from '../onnx/runtime.ts';
import { GenerationRequestError, validateRequest } from './generation-request.ts';
import { deriveGeometry, ModelGeometryError } from './model-geometry.ts';
import type { GeometryFacts } from './model-geometry.ts';

const info = (name: string, dims: (number | string)[], dtype: TensorInfo['dtype'] = 'float32'): TensorInfo => ({ name, dims, dtype });

/** The metadata of a Stable Diffusion 1.5 export (Optimum): symbolic batch and spatial dims. */
const SD15: GeometryFacts = {
  unetSample: info('sample', ['batch', 4, 'height', 'width']),
  vaeLatent: info('latent_sample', ['batch', 4, 'h', 'w']),
  vaeImage: info('sample', ['batch', 3, 'H', 'W']),
  textInputIds: info('input_ids', ['batch', 'sequence'], 'int32'),
  unetConfig: { in_channels: 4, sample_size: 64, block_out_channels: [320, 640, 1280, 1280] },
  vaeConfig: { latent_channels: 4, block_out_channels: [128, 256, 512, 512], scaling_factor: 0.18215, sample_size: 512 },
  tokenizerMaxLength: 77,
};

describe('deriveGeometry', () => {
  it('reads Stable Diffusion 1.5 sizes from its configs', () => {
    expect(deriveGeometry(SD15)).toEqual({
      latentChannels: 4,
      latentScale: 8,
      nativeWidth: 512,
      nativeHeight: 512,
      sizeMultiple: 64,
      minSize: 128,
      maxSize: 2048,
      maxTokens: 77,
      scalingFactor: 0.18215,
      shiftFactor: 0,
    });
  });

  it('falls back to static dims, the measured VAE scale and the default scaling factor', () => {
    const geometry = deriveGeometry({
      ...SD15,
      unetSample: info('sample', [2, 4, 32, 48]),
      vaeLatent: info('latent_sample', [1, 4, 32, 48]),
      vaeImage: info('sample', [1, 3, 'H', 'W']),
      unetConfig: {},
      vaeConfig: {},
      measuredVaeScale: 4,
    });
    expect(geometry).toMatchObject({ latentChannels: 4, latentScale: 4, fixedSize: { width: 192, height: 128 }, nativeWidth: 192, nativeHeight: 128, scalingFactor: 0.18215 });
    const request = { prompt: 'x', steps: 1, guidanceScale: 1 };
    expect(validateRequest(request, geometry)).toMatchObject({ width: 192, height: 128 });
    expect(() => validateRequest({ ...request, width: 64 }, geometry)).toThrow(/width must be 192: this model was exported for one image size only/);
  });

  it('refuses components that disagree', () => {
    expect(() => deriveGeometry({ ...SD15, vaeLatent: info('latent_sample', ['b', 16, 'h', 'w']) })).toThrow(ModelGeometryError);
    expect(() => deriveGeometry({ ...SD15, textInputIds: info('input_ids', [1, 64], 'int64') })).toThrow(/tokenizer makes 77 token ids but text_encoder expects 64/);
    expect(() => deriveGeometry({ ...SD15, unetSample: info('sample', ['b', 'c', 'h', 'w']), unetConfig: {} })).toThrow(/latent channels/);
  });
});

describe('validateRequest', () => {
  const geometry = deriveGeometry(SD15);
  const ok = { prompt: 'a cat', steps: 20, guidanceScale: 7.5 };
  const rule = (request: object): string => {
    try {
      validateRequest({ ...ok, ...request }, geometry);
    } catch (error) {
      if (error instanceof GenerationRequestError) return error.message;
      throw error;
    }
    return 'accepted';
  };

  it('fills in the defaults', () => {
    expect(validateRequest(ok, geometry)).toEqual({ ...ok, negativePrompt: '', seed: undefined, width: 512, height: 512, count: 1, scheduler: undefined });
  });

  it('says what is allowed for every field', () => {
    expect(rule({ prompt: '  ' })).toBe('prompt must not be empty: describe the image (got "  ")');
    expect(rule({ steps: 0 })).toBe('steps must be an integer from 1 to 150 (got 0)');
    expect(rule({ steps: 2.5 })).toBe('steps must be an integer from 1 to 150 (got 2.5)');
    expect(rule({ guidanceScale: 0.5 })).toBe('guidanceScale must be a number from 1 (no guidance) to 30 (got 0.5)');
    expect(rule({ guidanceScale: 31 })).toMatch(/^guidanceScale must be/);
    expect(rule({ count: 5 })).toBe('count must be an integer from 1 to 4 (got 5)');
    expect(rule({ seed: 2 ** 32 })).toBe('seed must be an integer from 0 to 4294967295 (got 4294967296)');
    expect(rule({ width: 500 })).toBe('width must be a multiple of 64 from 128 to 2048 pixels for this model (native size 512x512) (got 500)');
    expect(rule({ height: 4096 })).toMatch(/^height must be a multiple of 64/);
    expect(rule({ scheduler: 'pndm' })).toBe('scheduler must be one of ddim, euler, dpmpp-2m (got "pndm")');
    expect(rule({ width: 768, height: 448, count: 4, seed: 0, scheduler: 'euler', guidanceScale: 1 })).toBe('accepted');
  });
});

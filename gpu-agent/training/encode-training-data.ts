import { join } from 'node:path';
import type { Logger } from 'pino';
import type { RgbImage } from '../image/rgb-image.ts';
import { createSession, type Device, type OnnxSession } from '../onnx/runtime.ts';
import { floatTensor, integerTensor, toFloat32 } from '../pipeline/host-tensors.ts';
import type { StableDiffusionModel } from '../pipeline/model-directory.ts';
import { staticDim } from '../pipeline/model-geometry.ts';
import { generate } from '../pipeline/text-to-image.ts';
import { classPrompt, DreamBoothRequestError, instancePrompt, type DreamBoothRequest } from './dreambooth-request.ts';
import { prepareInstanceImages, type PreparedImage } from './instance-images.ts';
import { checkSubjectToken } from './subject-token.ts';

/** Everything a training run needs from the frozen encoders, computed once before the first step. */
export interface EncodedTrainingData {
  /** Scaled latents of the subject's photos (and their mirror images), `[C, h, w]` each. */
  readonly instanceLatents: readonly Float32Array[];
  /** Scaled latents of the class images (prior preservation), `[C, h, w]` each. */
  readonly classLatents: readonly Float32Array[];
  readonly latentDims: readonly [number, number, number];
  /** Text encoder states of the instance prompt, `[tokens, width]`. */
  readonly instanceText: Float32Array;
  /** ... and of the class prompt, when preserving the prior. */
  readonly classText?: Float32Array;
  readonly textDims: readonly [number, number];
  readonly prompt: string;
  /** Names of the photos used, in order. */
  readonly imageNames: readonly string[];
}

/** Options of {@link encodeTrainingData}. */
export interface EncodeOptions {
  device: Device;
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * Prepares the photos (see `prepareInstanceImages`), encodes them with the model's VAE encoder
 * (`vae_encoder/model.onnx`; latents are `(mean - shift_factor) * scaling_factor`, as diffusers
 * trains), encodes "a photo of <token> <class>" with the text encoder, and for prior preservation
 * encodes the class prompt and the class images, generating them with the base model when the
 * request brings none.
 */
export async function encodeTrainingData(model: StableDiffusionModel, request: DreamBoothRequest, options: EncodeOptions): Promise<EncodedTrainingData> {
  const { signal } = options;
  const size = model.geometry.fixedSize?.width ?? model.geometry.nativeWidth;
  checkSubjectToken(model.tokenizer, request.token, request.classWord);
  const prompt = instancePrompt(request);
  const instanceText = await encodeText(model, prompt, 'the instance prompt', signal);
  const prior = request.priorPreservation;
  const classText = prior === undefined ? undefined : await encodeText(model, classPrompt(request), 'the class prompt', signal);
  const prepared = await prepareInstanceImages(request.images, { size, flip: request.flip ?? false, ...(signal === undefined ? {} : { signal }) });
  let classImages: PreparedImage[] = [];
  if (prior !== undefined) {
    classImages =
      prior.classImages !== undefined
        ? [...(await prepareInstanceImages(prior.classImages, { size, minImages: 1, maxImages: 200, ...(signal === undefined ? {} : { signal }) })).images]
        : await generateClassImages(model, request, size, signal);
  }
  const vae = await createSession(join(model.directory, 'vae_encoder', 'model.onnx'), { device: options.device, logger: options.logger });
  try {
    const encode = (images: readonly PreparedImage[]): Promise<Float32Array[]> => sequential(images, (image) => encodeImage(vae, model, image, signal));
    const instanceLatents = await encode([...prepared.images, ...prepared.flipped]);
    const classLatents = await encode(classImages);
    const { latentChannels, latentScale } = model.geometry;
    return {
      instanceLatents,
      classLatents,
      latentDims: [latentChannels, size / latentScale, size / latentScale],
      instanceText: instanceText.hidden,
      ...(classText === undefined ? {} : { classText: classText.hidden }),
      textDims: instanceText.dims,
      prompt,
      imageNames: prepared.images.map((image) => image.name),
    };
  } finally {
    await vae.release();
  }
}

async function sequential<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) out.push(await run(item));
  return out;
}

async function encodeText(model: StableDiffusionModel, text: string, what: string, signal: AbortSignal | undefined): Promise<{ hidden: Float32Array; dims: [number, number] }> {
  const { io } = model;
  const encoding = model.tokenizer.encode(text);
  if (encoding.truncated) throw new DreamBoothRequestError(`${what} "${text}" is longer than the ${encoding.ids.length - 2} tokens the model reads; use a shorter token or class`);
  const batch = staticDim(io.inputIds.dims[0]) ?? 1;
  const ids = Array.from({ length: batch }, () => encoding.ids).flat();
  const out = await model.textEncoder.run({ [io.inputIds.name]: integerTensor(ids, [batch, encoding.ids.length], io.inputIds.dtype) }, signal === undefined ? {} : { signal });
  const tensor = out[io.textHidden.name];
  if (tensor === undefined || tensor.dims.length !== 3) throw new Error(`text_encoder output "${io.textHidden.name}" must be [batch, tokens, width]`);
  const dims: [number, number] = [tensor.dims[1]!, tensor.dims[2]!];
  return { hidden: toFloat32(tensor).slice(0, dims[0] * dims[1]), dims };
}

/** The scaled latent of one prepared image (`(mean - shift) * scaling_factor`), through an open `vae_encoder` session. */
export async function encodeImage(vae: OnnxSession, model: StableDiffusionModel, image: PreparedImage, signal: AbortSignal | undefined): Promise<Float32Array> {
  const input = vae.inputs[0];
  const output = vae.outputs.find((o) => o.name === 'latent_sample') ?? vae.outputs[0];
  if (input === undefined || output === undefined) throw new Error('vae_encoder/model.onnx needs an image input and a latent output');
  const batch = staticDim(input.dims[0]) ?? 1;
  const pixels = new Float32Array(batch * image.pixels.length);
  for (let i = 0; i < batch; i++) pixels.set(image.pixels, i * image.pixels.length);
  const out = await vae.run({ [input.name]: floatTensor(pixels, [batch, 3, image.size, image.size], input.dtype) }, signal === undefined ? {} : { signal });
  const latent = toFloat32(out[output.name]!);
  const rowSize = latent.length / (out[output.name]!.dims[0] ?? 1);
  const { scalingFactor, shiftFactor } = model.geometry;
  return latent.slice(0, rowSize).map((v) => (v - shiftFactor) * scalingFactor);
}

/** Generates prior-preservation images of the plain class with the base model, one seed each. */
async function generateClassImages(model: StableDiffusionModel, request: DreamBoothRequest, size: number, signal: AbortSignal | undefined): Promise<PreparedImage[]> {
  const prior = request.priorPreservation!;
  const count = prior.classImageCount ?? 8;
  const images: PreparedImage[] = [];
  for (let i = 0; i < count; i++) {
    const result = await generate(
      model,
      { prompt: classPrompt(request), steps: prior.generationSteps ?? 20, guidanceScale: 7.5, seed: (request.seed + 7919 * (i + 1)) >>> 0, width: size, height: size },
      signal === undefined ? {} : { signal },
    );
    images.push(toPrepared(result.images[0]!, `class image ${i + 1}`));
  }
  return images;
}

/** An 8-bit RGB image as the VAE encoder's input: CHW floats in [-1, 1]. */
export function toPrepared(image: RgbImage, name: string): PreparedImage {
  const plane = image.width * image.height;
  const pixels = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) pixels[c * plane + p] = image.data[p * 3 + c]! / 127.5 - 1;
  return { name, size: image.width, pixels };
}

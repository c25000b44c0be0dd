import { sampleChecks } from './sample-checks.ts';

/** `signalScale * original + noiseScale * noise`, element by element in float64, as a new array. */
export function blendNoise(original: Float32Array, noise: Float32Array, signalScale: number, noiseScale: number): Float32Array {
  sampleChecks.sameLength(original, noise, 'addNoise(original, noise)');
  const out = new Float32Array(original.length);
  for (let i = 0; i < original.length; i++) out[i] = signalScale * original[i]! + noiseScale * noise[i]!;
  return out;
}

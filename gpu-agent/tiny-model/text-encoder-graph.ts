import { GraphBuilder } from '../onnx/graph-builder.ts';
import type { OnnxModel } from '../onnx/ir.ts';
import { multiHeadAttention } from './attention-blocks.ts';
import { ModuleBuilder, type WeightSource } from './module-builder.ts';
import type { TinyModelConfig } from './tiny-model-config.ts';

/** What the text encoder needs to know of the tokenizer. */
export interface TextVocabulary {
  /** Rows of the token embedding table. */
  size: number;
  /** Id of `<|endoftext|>`; the pooled output is the hidden state at its first occurrence. */
  endOfTextId: number;
}

/** A built component graph and its parameter count. */
export interface ComponentGraph {
  model: OnnxModel;
  parameters: number;
}

/**
 * A CLIP-like text transformer: token + position embeddings, pre-LayerNorm layers with causal
 * self-attention and a quick-GELU MLP, and a final LayerNorm. Input `input_ids` `[batch, T]`
 * int32; outputs `last_hidden_state` `[batch, T, D]` and `pooler_output` `[batch, D]`, the hidden
 * state at the first `<|endoftext|>` (as transformers' CLIP does for vocabularies whose end token
 * is not the largest id).
 */
export function buildTextEncoderGraph(config: TinyModelConfig, vocabulary: TextVocabulary, weights?: WeightSource): ComponentGraph {
  const b = new GraphBuilder('text_encoder');
  const m = new ModuleBuilder(b, config.seed, weights);
  const { width, layers, heads, mlpRatio, maxTokens } = config.text;
  const ids = b.input('input_ids', 'int32', ['batch', maxTokens]);
  const tokenTable = m.param('text_model.embeddings.token_embedding.weight', [vocabulary.size, width], { normal: 0.02 });
  const positionTable = m.param('text_model.embeddings.position_embedding.weight', [maxTokens, width], { normal: 0.01 });
  let h = b.add(b.gather(tokenTable, ids, 0), positionTable);
  const causal = new Float32Array(maxTokens * maxTokens);
  for (let i = 0; i < maxTokens; i++) for (let j = i + 1; j < maxTokens; j++) causal[i * maxTokens + j] = -1e9;
  const mask = b.constant('float32', [maxTokens, maxTokens], causal);
  for (let i = 0; i < layers; i++) {
    const name = `text_model.encoder.layers.${i}`;
    h = b.scope(name, () => {
      const attnNames = { q: `${name}.self_attn.q_proj`, k: `${name}.self_attn.k_proj`, v: `${name}.self_attn.v_proj`, out: `${name}.self_attn.out_proj` };
      const attended = multiHeadAttention(m, attnNames, m.layerNorm(h, `${name}.layer_norm1`, width), width, { heads, qkvBias: true, mask });
      const residual = b.add(h, attended);
      const hidden = m.quickGelu(m.linear(m.layerNorm(residual, `${name}.layer_norm2`, width), `${name}.mlp.fc1`, width, width * mlpRatio));
      return b.add(residual, m.linear(hidden, `${name}.mlp.fc2`, width * mlpRatio, width));
    });
  }
  const last = m.layerNorm(h, 'text_model.final_layer_norm', width);
  b.output(last, 'last_hidden_state');
  const isEnd = b.cast(b.equal(ids, b.scalar(vocabulary.endOfTextId, 'int32')), 'int32');
  const endIndex = b.argMax(isEnd, 1, true);
  const gatherIndex = b.expand(b.unsqueeze(endIndex, [2]), [1, 1, width]);
  const pooled = b.reshape(b.gatherElements(last, gatherIndex, 1), ['batch', width]);
  b.output(pooled, 'pooler_output');
  return { model: b.model({ docString: 'teambooth-tiny text encoder (CLIP-like)' }), parameters: m.parameterCount };
}

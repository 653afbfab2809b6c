// The HF Llama config.json of a trained model, and the ModelSpec the rest of kick reads from it (so the
// trainer and the loaders agree on every field by construction).
import { parseModelConfig, type ModelSpec } from "../model/config.js";

export interface LlamaShape {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  intermediateSize: number;
  vocabSize: number;
  /** max_position_embeddings (the training context must fit) */
  maxPositions: number;
  ropeTheta: number;
  normEps: number;
  tiedEmbeddings: boolean;
  /** token ids of <|endoftext|> (bos = eos = pad for kick's tokenizer) */
  eosTokenId: number;
}

export function hfLlamaConfig(m: LlamaShape): Record<string, unknown> {
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: m.eosTokenId,
    eos_token_id: m.eosTokenId,
    pad_token_id: m.eosTokenId,
    head_dim: m.hiddenSize / m.numHeads,
    hidden_act: "silu",
    hidden_size: m.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: m.intermediateSize,
    max_position_embeddings: m.maxPositions,
    mlp_bias: false,
    num_attention_heads: m.numHeads,
    num_hidden_layers: m.numLayers,
    num_key_value_heads: m.numKvHeads,
    pretraining_tp: 1,
    rms_norm_eps: m.normEps,
    rope_scaling: null,
    rope_theta: m.ropeTheta,
    tie_word_embeddings: m.tiedEmbeddings,
    torch_dtype: "float32",
    use_cache: true,
    vocab_size: m.vocabSize,
  };
}

export const llamaSpec = (m: LlamaShape, file = "plan.model"): ModelSpec => parseModelConfig(hfLlamaConfig(m), file);

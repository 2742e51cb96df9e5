//! A small GPT-2-shaped decoder-only transformer.
//!
//! Pre-LayerNorm blocks (normalise, attend or transform, add back) train stably without the
//! warm-up tricks post-LN needs, which matters for short runs on small machines. Weights start
//! as GPT-2 does (normal, std 0.02) so that the first loss is close to ln(vocab): a run whose
//! first loss is far from it has a data or model bug, not bad luck.

use burn::module::{Initializer, Module};
use burn::nn::attention::{
    generate_autoregressive_mask, MhaInput, MultiHeadAttention, MultiHeadAttentionConfig,
};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{
    Dropout, DropoutConfig, Embedding, EmbeddingConfig, Gelu, LayerNorm, LayerNormConfig, Linear,
    LinearConfig,
};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

/// The shape of a [`Gpt`]. Stored beside each checkpoint: a checkpoint cannot be read without it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GptConfig {
    pub vocab: usize,
    pub context: usize,
    pub d_model: usize,
    pub n_layers: usize,
    pub n_heads: usize,
    /// Dropout on the embedding and on each residual branch (not on attention scores: Burn's
    /// multi-head attention drops scores before the softmax, which is not GPT-2's dropout).
    pub dropout: f64,
}

impl GptConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.vocab == 0
            || self.context == 0
            || self.d_model == 0
            || self.n_layers == 0
            || self.n_heads == 0
        {
            return Err(
                "vocab, context, d_model, n_layers and n_heads must all be positive".into(),
            );
        }
        if !self.d_model.is_multiple_of(self.n_heads) {
            return Err(format!(
                "d_model {} is not a multiple of n_heads {}",
                self.d_model, self.n_heads
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!("dropout {} is not in [0, 1)", self.dropout));
        }
        Ok(())
    }

    pub fn init<B: Backend>(&self, device: &B::Device) -> Gpt<B> {
        let init = Initializer::Normal {
            mean: 0.0,
            std: 0.02,
        };
        let linear = |d_in, d_out| {
            LinearConfig::new(d_in, d_out)
                .with_initializer(init.clone())
                .init(device)
        };
        let blocks = (0..self.n_layers)
            .map(|_| Block {
                ln_attn: LayerNormConfig::new(self.d_model).init(device),
                attn: MultiHeadAttentionConfig::new(self.d_model, self.n_heads)
                    .with_dropout(0.0)
                    .with_initializer(init.clone())
                    .init(device),
                ln_mlp: LayerNormConfig::new(self.d_model).init(device),
                fc: linear(self.d_model, 4 * self.d_model),
                proj: linear(4 * self.d_model, self.d_model),
                gelu: Gelu::new(),
                dropout: DropoutConfig::new(self.dropout).init(),
            })
            .collect();
        Gpt {
            token_embedding: EmbeddingConfig::new(self.vocab, self.d_model)
                .with_initializer(init.clone())
                .init(device),
            position_embedding: EmbeddingConfig::new(self.context, self.d_model)
                .with_initializer(init.clone())
                .init(device),
            blocks,
            ln_final: LayerNormConfig::new(self.d_model).init(device),
            head: linear(self.d_model, self.vocab),
            dropout: DropoutConfig::new(self.dropout).init(),
            context: self.context,
            vocab: self.vocab,
        }
    }
}

/// One transformer block: causal self-attention then a 4x GELU MLP, each pre-normalised and
/// added back to the residual stream.
#[derive(Module, Debug)]
pub struct Block<B: Backend> {
    ln_attn: LayerNorm<B>,
    attn: MultiHeadAttention<B>,
    ln_mlp: LayerNorm<B>,
    fc: Linear<B>,
    proj: Linear<B>,
    gelu: Gelu,
    dropout: Dropout,
}

impl<B: Backend> Block<B> {
    fn forward(&self, x: Tensor<B, 3>, mask: Tensor<B, 3, burn::tensor::Bool>) -> Tensor<B, 3> {
        let attended = self
            .attn
            .forward(MhaInput::self_attn(self.ln_attn.forward(x.clone())).mask_attn(mask))
            .context;
        let x = x + self.dropout.forward(attended);
        let hidden = self
            .gelu
            .forward(self.fc.forward(self.ln_mlp.forward(x.clone())));
        x.clone() + self.dropout.forward(self.proj.forward(hidden))
    }
}

/// The model: token and learned position embeddings, blocks, final LayerNorm, linear head.
#[derive(Module, Debug)]
pub struct Gpt<B: Backend> {
    token_embedding: Embedding<B>,
    position_embedding: Embedding<B>,
    blocks: Vec<Block<B>>,
    ln_final: LayerNorm<B>,
    head: Linear<B>,
    dropout: Dropout,
    context: usize,
    vocab: usize,
}

impl<B: Backend> Gpt<B> {
    /// Next-token logits `[batch, seq, vocab]` for tokens `[batch, seq]`, `seq <= context`.
    /// Position `t` sees only tokens `0..=t`.
    pub fn forward(&self, tokens: Tensor<B, 2, Int>) -> Tensor<B, 3> {
        let [batch, seq] = tokens.dims();
        assert!(
            seq <= self.context,
            "sequence of {seq} tokens exceeds the context of {}",
            self.context
        );
        let device = tokens.device();
        let positions = Tensor::<B, 1, Int>::arange(0..seq as i64, &device).reshape([1, seq]);
        let pos = self.position_embedding.forward(positions);
        let tok = self.token_embedding.forward(tokens);
        let d_model = tok.dims()[2];
        let mut x = self
            .dropout
            .forward(tok + pos.expand([batch, seq, d_model]));
        let mask = generate_autoregressive_mask::<B>(batch, seq, &device);
        for block in &self.blocks {
            x = block.forward(x, mask.clone());
        }
        self.head.forward(self.ln_final.forward(x))
    }

    /// Mean cross-entropy of predicting `targets` `[batch, seq]` from `inputs` `[batch, seq]`.
    pub fn loss(&self, inputs: Tensor<B, 2, Int>, targets: Tensor<B, 2, Int>) -> Tensor<B, 1> {
        let [batch, seq] = inputs.dims();
        let logits = self.forward(inputs).reshape([batch * seq, self.vocab]);
        let loss = CrossEntropyLossConfig::new().init(&logits.device());
        loss.forward(logits, targets.reshape([batch * seq]))
    }

    pub fn context(&self) -> usize {
        self.context
    }
}

/// Input and target tensors for a batch of windows of `seq + 1` tokens: inputs are each window
/// without its last token, targets without its first.
pub fn batch_tensors<B: Backend>(
    windows: &[Vec<u32>],
    device: &B::Device,
) -> (Tensor<B, 2, Int>, Tensor<B, 2, Int>) {
    let batch = windows.len();
    let seq = windows.first().map_or(0, |w| w.len().saturating_sub(1));
    let mut inputs = Vec::with_capacity(batch * seq);
    let mut targets = Vec::with_capacity(batch * seq);
    for w in windows {
        assert_eq!(
            w.len(),
            seq + 1,
            "windows of one batch must have the same length"
        );
        inputs.extend(w[..seq].iter().map(|&t| t as i64));
        targets.extend(w[1..].iter().map(|&t| t as i64));
    }
    (
        Tensor::from_data(TensorData::new(inputs, [batch, seq]), device),
        Tensor::from_data(TensorData::new(targets, [batch, seq]), device),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;

    type B = NdArray<f32>;

    fn tiny() -> GptConfig {
        GptConfig {
            vocab: 257,
            context: 16,
            d_model: 32,
            n_layers: 2,
            n_heads: 4,
            dropout: 0.0,
        }
    }

    fn logits_of(model: &Gpt<B>, tokens: &[u32]) -> Vec<f32> {
        let device = Default::default();
        let data: Vec<i64> = tokens.iter().map(|&t| t as i64).collect();
        let t = Tensor::<B, 2, Int>::from_data(TensorData::new(data, [1, tokens.len()]), &device);
        model.forward(t).into_data().iter::<f32>().collect()
    }

    #[test]
    fn changing_a_future_token_leaves_earlier_logits_alone() {
        let device = Default::default();
        let model = tiny().init::<B>(&device);
        let a: Vec<u32> = b"To be, or not to be"
            .iter()
            .take(16)
            .map(|&b| b as u32)
            .collect();
        let mut b = a.clone();
        let changed = 10;
        b[changed] = 256;
        let (la, lb) = (logits_of(&model, &a), logits_of(&model, &b));
        let vocab = 257;
        let before = changed * vocab;
        let max_diff_before = la[..before]
            .iter()
            .zip(&lb[..before])
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        let max_diff_after = la[before..]
            .iter()
            .zip(&lb[before..])
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(
            max_diff_before < 1e-5,
            "positions before the change moved by {max_diff_before}"
        );
        assert!(
            max_diff_after > 1e-4,
            "positions from the change on did not move ({max_diff_after}): test is vacuous"
        );
    }

    #[test]
    fn initial_loss_is_near_uniform() {
        let device = Default::default();
        let model = tiny().init::<B>(&device);
        let windows: Vec<Vec<u32>> = (0..4)
            .map(|i| (0..17).map(|j| (i * 31 + j * 7) % 257).collect())
            .collect();
        let (x, y) = batch_tensors::<B>(&windows, &device);
        let loss: f32 = model.loss(x, y).into_data().iter::<f32>().next().unwrap();
        assert!(
            (loss - (257f32).ln()).abs() < 0.3,
            "initial loss {loss} far from ln 257"
        );
    }

    #[test]
    fn config_validation_names_the_problem() {
        let mut c = tiny();
        c.n_heads = 5;
        assert!(c.validate().unwrap_err().contains("multiple of n_heads"));
        assert!(tiny().validate().is_ok());
    }
}

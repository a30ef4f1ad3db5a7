#include "spikessm/models/classifier_stream.h"

#include "spikessm/common/error.h"
#include "spikessm/layers/block_ops.h"
#include "spikessm/neurons/heaviside.h"
#include "spikessm/neurons/lif.h"
#include "spikessm/neurons/sparse_mix.h"
#include "spikessm/ssm/s4d_ops.h"
#include "classifier_step.h"

namespace spikessm {

StreamRefusal stream_refusal(const SequenceClassifierImpl& m) {
  const auto& o = m.options;
  if (o.retrieval())
    return {"data.dataset", "a retrieval model compares two whole sequences; it cannot stream"};
  if (o.encoder() != EncoderKind::Linear)
    return {"data.dataset", "streaming takes signal inputs (features per step), not token ids"};
  const bool binary = o.block_kind() == BlockKind::BinaryS4D;
  const auto& s4 = binary ? o.binary().s4d() : o.block().s4d();
  if (s4.bidirectional())
    return {"model.bidirectional",
            "is true: a bidirectional S4D reads the future; train with model.bidirectional = "
            "false to stream"};
  if (!binary && o.block().spiking() && o.block().neuron() != NeuronKind::Lif)
    return {"model.neuron",
            "is an SDN: it reads a window of the whole sequence; stream with the LIF neuron"};
  if (binary && o.binary().mixer() == MixerKind::Gsu &&
      o.binary().activation() != BinaryActivation::Heaviside)
    return {"model.activation",
            "is not heaviside: the GSU's ternary threshold is then the maximum over the whole "
            "sequence"};
  return {};
}

ClassifierStream::ClassifierStream(SequenceClassifier model) : model_(std::move(model)) {
  const auto refusal = stream_refusal(*model_);
  require(refusal.key.empty(), refusal.key, refusal.reason);
  model_->eval();
  torch::NoGradGuard ng;
  const bool binary = model_->options.block_kind() == BlockKind::BinaryS4D;
  lif_ = !binary && model_->options.block().spiking();
  auto fill = [&](const S4DImpl& s4d, BlockConsts& c) {
    s4d.mode_weights(c.w, c.z);  // the discretisation forward() repeats every call
    c.w = c.w.contiguous();
    c.z = c.z.contiguous();
    c.d = s4d.d.contiguous();
  };
  spiking_ = model_->layers();
  binary_ = model_->binary_layers();
  if (binary) {
    for (const auto& b : binary_) fill(*b->s4d, consts_.emplace_back());
  } else {
    for (const auto& b : spiking_) {
      auto& c = consts_.emplace_back();
      fill(*b->s4d, c);
      c.inv_vth = torch::exp(-b->ln_vth);
      c.mix_wt = b->mix->weight.t().contiguous();
    }
  }
  engine_ = ClassifierStepEngine::build(*model_);
}

void ClassifierStream::set_step_engine(bool on) { engine_on_ = on; }

ClassifierState ClassifierStream::initial_state(int64_t batch) const {
  TORCH_CHECK(batch >= 1, "[ClassifierStream] batch must be >= 1");
  ClassifierState s;
  const auto opts = model_->encoder->weight.options();
  const int64_t H = model_->d_model();
  for (const auto& c : consts_) {
    s.blocks.push_back(torch::zeros({batch, H, c.z.size(1), 2}, opts));
    if (lif_) s.blocks.push_back(torch::zeros({batch, H}, opts));
  }
  s.pooled_sum = torch::zeros({batch, H}, opts.dtype(torch::kDouble));
  return s;
}

void ClassifierStream::reset(ClassifierState& s) const {
  for (auto& t : s.blocks) t.zero_();
  s.pooled_sum.zero_();
  s.steps = 0;
}

void ClassifierStream::check_state(const ClassifierState& s, const std::string& where) const {
  const int64_t B = s.pooled_sum.defined() && s.pooled_sum.dim() == 2 ? s.pooled_sum.size(0) : 0;
  require(B >= 1, where, "holds no pooled sum of shape (B, H)");
  const auto fresh = initial_state(B);
  bool same = fresh.blocks.size() == s.blocks.size() &&
              s.pooled_sum.sizes() == fresh.pooled_sum.sizes() &&
              s.pooled_sum.scalar_type() == torch::kDouble && s.steps >= 0;
  for (size_t i = 0; same && i < s.blocks.size(); ++i)
    same = s.blocks[i].defined() && s.blocks[i].sizes() == fresh.blocks[i].sizes() &&
           s.blocks[i].scalar_type() == fresh.blocks[i].scalar_type() &&
           s.blocks[i].is_contiguous();
  require(same, where,
          "holds a state of other shapes than this model's (" +
              std::to_string(fresh.blocks.size()) + " block tensors of width " +
              std::to_string(model_->d_model()) + " expected)");
}

torch::Tensor ClassifierStream::spiking_block(size_t i, const torch::Tensor& x,
                                              ClassifierState& s) {
  // The SpikingSSMBlock's forward() with its recurrences carried: same ops, same order.
  auto& b = *spiking_[i];
  const auto& c = consts_[i];
  const auto& o = b.options;
  auto z = o.prenorm() ? channel_norm(x, b.layer_norm, b.batch_norm) : x;
  const size_t per = lif_ ? 2 : 1;
  z = diag_ssm_stream(z, c.w, c.z, c.d, s.blocks[i * per]);  // (B, T, H)
  if (o.spiking()) {
    z = lif_stream(z * c.inv_vth, o.lif(), s.blocks[i * per + 1]);  // {0, 1}
  } else {
    z = torch::gelu(z);
  }
  const int64_t H = z.size(2);
  torch::Tensor m;
  if (o.spiking() && o.mix_kernel() != MixKernel::Dense && z.scalar_type() == torch::kFloat) {
    MixChoice choice;
    m = spike_mix_linear(z.reshape({-1, H}), c.mix_wt, b.mix->bias, o.mix_kernel(), &choice,
                         /*glu=*/!o.linear_mix());
  } else {
    m = torch::addmm(b.mix->bias, z.reshape({-1, H}), c.mix_wt);
    if (!o.linear_mix()) m = glu_halves(m);  // a linear-mix block has no GLU
  }
  auto out = x + m.view(x.sizes());
  return o.prenorm() ? out : channel_norm(out, b.layer_norm, b.batch_norm);
}

torch::Tensor ClassifierStream::binary_block(size_t i, const torch::Tensor& x, ClassifierState& s) {
  // The BinaryS4DBlock's forward() with its S4D state carried.
  auto& b = *binary_[i];
  const auto& c = consts_[i];
  const auto& o = b.options;
  auto z = o.prenorm() ? channel_norm(x, b.layer_norm, b.batch_norm) : x;
  z = diag_ssm_stream(z, c.w, c.z, c.d, s.blocks[i]);  // (B, T, H)
  if (o.activation() == BinaryActivation::Heaviside)
    z = heaviside_spike(z, {0.0, o.surrogate(), float(o.alpha())});
  else
    z = torch::gelu(z);
  if (b.mix) {
    auto halves = b.mix(z).chunk(2, -1);  // (B, T, H) x 2
    z = halves[0] * torch::sigmoid(halves[1]);
  } else {
    z = b.gsu(z);  // per-step ternary threshold: Ter of binary spikes is causal
  }
  auto out = x + z;
  return o.prenorm() ? out : channel_norm(out, b.layer_norm, b.batch_norm);
}

torch::Tensor ClassifierStream::run_blocks(const torch::Tensor& x, ClassifierState& s) {
  const auto& o = model_->options;
  TORCH_CHECK(x.dim() == 3 && x.size(1) >= 1 && x.size(2) == o.d_input() &&
                  x.size(0) == s.pooled_sum.size(0),
              "[ClassifierStream] x must be (B, T >= 1, ", o.d_input(),
              ") with B = ", s.pooled_sum.size(0), ", got ", x.sizes());
  TORCH_CHECK(x.scalar_type() == model_->encoder->weight.scalar_type(),
              "[ClassifierStream] x must have the model's dtype");
  torch::NoGradGuard ng;
  // Below ~64 steps per call the per-op overhead of the chunk path dominates.
  // The engine returns running logits; a per-step model needs every step's features.
  if (engine_ && engine_on_ && !per_step() && x.size(0) * x.size(1) <= 64)
    return engine_->run(x, s);
  auto h = model_->encoder(x);  // (B, T, H)
  const size_t n = consts_.size();
  const bool binary = o.block_kind() == BlockKind::BinaryS4D;
  for (size_t i = 0; i < n; ++i) h = binary ? binary_block(i, h, s) : spiking_block(i, h, s);
  s.pooled_sum.add_(h.sum(1).to(torch::kDouble));
  s.steps += x.size(1);
  return h;
}

torch::Tensor ClassifierStream::forward_with_state(const torch::Tensor& x, ClassifierState& s) {
  if (!per_step()) {
    run_blocks(x, s);
    return logits(s);
  }
  return step_logits(x, s).select(1, -1);  // (B, n_classes): the last step's
}

torch::Tensor ClassifierStream::step_logits(const torch::Tensor& x, ClassifierState& s) {
  TORCH_CHECK(per_step(), "[ClassifierStream] step_logits needs a per-step model");
  const auto h = run_blocks(x, s);  // (B, T, H)
  torch::NoGradGuard ng;
  return model_->decoder(h);  // (B, T, n_classes)
}

torch::Tensor ClassifierStream::step(const torch::Tensor& x, ClassifierState& s) {
  TORCH_CHECK(x.dim() == 2, "[ClassifierStream.step] x must be (B, d_input), got ", x.sizes());
  return forward_with_state(x.unsqueeze(1), s);
}

torch::Tensor ClassifierStream::logits(const ClassifierState& s) {
  TORCH_CHECK(s.steps > 0, "[ClassifierStream] no step read yet: there are no logits");
  TORCH_CHECK(!per_step(), "[ClassifierStream] a per-step model has logits a step (step_logits)");
  torch::NoGradGuard ng;
  const auto mean = (s.pooled_sum / double(s.steps)).to(model_->decoder->weight.scalar_type());
  return model_->decoder(mean);  // (B, n_classes)
}

}  // namespace spikessm

#include "spikessm/models/sequence_classifier.h"

#include "spikessm/models/classifier_ops.h"

namespace spikessm {

SequenceClassifierImpl::SequenceClassifierImpl(const SequenceClassifierOptions& options_)
    : options(options_) {
  reset();
}

int64_t SequenceClassifierImpl::d_model() const {
  return options.block_kind() == BlockKind::SpikingSSM ? options.block().s4d().d_model()
                                                       : options.binary().s4d().d_model();
}

void SequenceClassifierImpl::reset() {
  TORCH_CHECK(!(options.per_step() && options.retrieval()),
              "[SequenceClassifier] a retrieval head compares whole sequences: no per-step output");
  const int64_t H = d_model();
  // Registration order fixes the initialisation stream: keep encoder, blocks, decoder.
  if (options.encoder() == EncoderKind::Linear)
    encoder = register_module("encoder", torch::nn::Linear(options.d_input(), H));
  else
    embedding = register_module("encoder", torch::nn::Embedding(options.d_input(), H));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.n_layers(); ++i) {
    const std::string name = "block" + std::to_string(i);  // the ops_report() row prefix
    if (options.block_kind() == BlockKind::SpikingSSM) {
      SpikingSSMBlock b(options.block());
      b->recorder = recorder_;
      b->stats_name = name;
      blocks->push_back(b);
    } else {
      BinaryS4DBlock b(options.binary());
      b->set_recorder(recorder_, name);
      blocks->push_back(b);
    }
  }
  if (options.retrieval()) {
    retrieval_mlp = register_module("retrieval_mlp", torch::nn::Linear(4 * H, H));
    decoder = register_module("decoder", torch::nn::Linear(H, options.n_classes()));
  } else {
    decoder = register_module("decoder", torch::nn::Linear(H, options.n_classes()));
  }
}

torch::Tensor SequenceClassifierImpl::features(const torch::Tensor& x_in, torch::Tensor& mask) {
  torch::Tensor h;
  mask = torch::Tensor();
  if (encoder) {
    // Signals of unequal length are padded with NaN after each row's end (the counterpart of
    // the padding id 0): as for tokens, the batch is cut to its longest row, the padding
    // enters as 0 and the mean is over the valid steps.
    const auto valid = x_in.isnan().any(-1).logical_not();  // (B, L)
    if (valid.all().item<bool>()) {
      h = encoder(x_in);  // (B, L, H)
    } else {
      const int64_t longest = std::max<int64_t>(1, valid.sum(1).max().item<int64_t>());
      const int64_t cut = std::min(longest, x_in.size(1));
      mask = valid.narrow(1, 0, cut).unsqueeze(-1).to(torch::kFloat);  // (B, L', 1)
      h = encoder(x_in.narrow(1, 0, cut).nan_to_num(0.0));             // (B, L', H)
    }
  } else {
    TORCH_CHECK(x_in.dim() == 2 && x_in.scalar_type() == torch::kInt64,
                "[SequenceClassifier] an embedding encoder takes (B, L) int64 ids");
    const int64_t longest = std::max<int64_t>(1, x_in.ne(0).sum(1).max().item<int64_t>());
    auto x = x_in.narrow(1, 0, std::min(longest, x_in.size(1)));  // padding is at the end
    mask = x.ne(0).unsqueeze(-1).to(torch::kFloat);               // (B, L', 1)
    h = embedding(x);                                             // (B, L', H)
  }
  if (options.block_kind() == BlockKind::SpikingSSM) {
    for (auto& block : layers()) h = block(h);
  } else {
    for (auto& block : binary_layers()) h = block(h);
  }
  if (collecting_) {
    stats_steps += double(h.size(0) * h.size(1));
    stats_sequences += double(h.size(0));
  }
  return h;
}

torch::Tensor SequenceClassifierImpl::tower(const torch::Tensor& x) {
  torch::Tensor mask;
  const auto h = features(x, mask);       // (B, L', H)
  if (!mask.defined()) return h.mean(1);  // (B, H)
  return (h * mask).sum(1) / mask.sum(1).clamp_min(1.0);
}

torch::Tensor SequenceClassifierImpl::forward(const torch::Tensor& x) {
  if (options.per_step()) {
    torch::Tensor mask;
    return decoder(features(x, mask));  // (B, L', n_classes)
  }
  if (!options.retrieval()) return decoder(tower(x));  // (B, n_classes)
  TORCH_CHECK(x.dim() == 3 && x.size(1) == 2, "[SequenceClassifier] retrieval takes (B, 2, L) ids");
  const int64_t B = x.size(0);
  auto pooled = tower(x.reshape({2 * B, x.size(2)})).view({B, 2, -1});  // (B, 2, H)
  auto u = pooled.select(1, 0), v = pooled.select(1, 1);
  auto feats = torch::cat({u, v, u * v, u - v}, -1);  // (B, 4H)
  return decoder(torch::gelu(retrieval_mlp(feats)));
}

std::vector<SpikingSSMBlock> SequenceClassifierImpl::layers() const {
  std::vector<SpikingSSMBlock> out;
  for (const auto& m : *blocks)
    if (auto p = std::dynamic_pointer_cast<SpikingSSMBlockImpl>(m)) out.emplace_back(p);
  return out;
}

std::vector<BinaryS4DBlock> SequenceClassifierImpl::binary_layers() const {
  std::vector<BinaryS4DBlock> out;
  for (const auto& m : *blocks)
    if (auto p = std::dynamic_pointer_cast<BinaryS4DBlockImpl>(m)) out.emplace_back(p);
  return out;
}

OpsReport SequenceClassifierImpl::ops_report(int64_t L) { return classifier_ops(*this, L); }

void SequenceClassifierImpl::set_collect_stats(bool on) {
  collecting_ = on;
  if (!on) return recorder_->stop();
  stats_steps = stats_sequences = 0;
  recorder_->start();
}

}  // namespace spikessm

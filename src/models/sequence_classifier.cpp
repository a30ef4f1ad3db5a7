#include "spikessm/models/sequence_classifier.h"

namespace spikessm {

SequenceClassifierImpl::SequenceClassifierImpl(const SequenceClassifierOptions& options_)
    : options(options_) {
  reset();
}

void SequenceClassifierImpl::reset() {
  const int64_t H = options.block().s4d().d_model();
  encoder = register_module("encoder", torch::nn::Linear(options.d_input(), H));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.n_layers(); ++i) blocks->push_back(SpikingSSMBlock(options.block()));
  decoder = register_module("decoder", torch::nn::Linear(H, options.n_classes()));
}

torch::Tensor SequenceClassifierImpl::forward(const torch::Tensor& x) {
  auto h = encoder(x);                       // (B, L, H)
  for (auto& block : layers()) h = block(h);
  return decoder(h.mean(1));                 // (B, n_classes)
}

std::vector<SpikingSSMBlock> SequenceClassifierImpl::layers() const {
  std::vector<SpikingSSMBlock> out;
  for (const auto& m : *blocks) out.emplace_back(std::dynamic_pointer_cast<SpikingSSMBlockImpl>(m));
  return out;
}

void SequenceClassifierImpl::set_collect_stats(bool on) {
  for (auto& block : layers()) {
    block->collect_stats = on;
    if (on) block->counter = SpikeCounter{};
  }
}

}  // namespace spikessm

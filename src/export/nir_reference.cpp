// The reference run beside a NIR export (nir_reference.h): the classifier's forward pass,
// block by block, keeping each block's LIF spikes.
#include "spikessm/export/nir_reference.h"

#include <filesystem>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"
#include "spikessm/export/npy.h"
#include "spikessm/layers/block_ops.h"
#include "spikessm/neurons/sparse_mix.h"

namespace spikessm {

namespace {

// One SpikingSSM block (spiking_ssm_block.h) in eval mode, keeping its spikes.
// h: (B, L, H) -> (B, L, H); spikes: (B, L, H) in {0, 1}.
torch::Tensor block_with_spikes(SpikingSSMBlockImpl& blk, const torch::Tensor& h,
                                torch::Tensor& spikes) {
  const auto& bo = blk.options;
  auto z = bo.prenorm() ? channel_norm(h, blk.layer_norm, blk.batch_norm) : h;
  z = blk.s4d->forward(z);
  spikes = lif_multistep((z * torch::exp(-blk.ln_vth)).contiguous(), bo.lif());
  const int64_t H = h.size(2);
  auto m = torch::addmm(blk.mix->bias, spikes.reshape({-1, H}), blk.mix->weight.t().contiguous());
  if (!bo.linear_mix()) m = glu_halves(m);
  auto out = h + m.view(h.sizes());
  return bo.prenorm() ? out : channel_norm(out, blk.layer_norm, blk.batch_norm);
}

}  // namespace

void write_nir_reference(SequenceClassifierImpl& model, const torch::Tensor& x,
                         const torch::Tensor& y, const NirExportOptions& opt,
                         const std::string& dir, int64_t batch) {
  TORCH_CHECK(x.dim() == 3 && x.size(0) == y.size(0), "[nir_reference] x (N, L, d), y (N)");
  if (model.options.block_kind() != BlockKind::SpikingSSM || !model.encoder ||
      model.options.block().neuron() != NeuronKind::Lif || !model.options.block().spiking())
    throw InputError("--reference: covers the SpikingSSM classifiers that export to NIR");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError("--reference: cannot create directory '" + dir + "': " + ec.message());
  torch::NoGradGuard no_grad;
  model.eval();
  // The model's dense mixing kernel, which block_with_spikes repeats operation for operation,
  // so that the two runs are bit-equal (the event-driven one sums in another order).
  std::vector<MixKernel> kernels;
  for (auto& blk : model.layers()) {
    kernels.push_back(blk->options.mix_kernel());
    blk->options.mix_kernel(MixKernel::Dense);
  }
  const int64_t N = x.size(0), n_layers = model.options.n_layers();
  std::vector<std::vector<torch::Tensor>> spikes(static_cast<size_t>(n_layers));
  std::vector<torch::Tensor> logits;
  double worst = 0;
  for (int64_t s = 0; s < N; s += batch) {
    auto xb = x.narrow(0, s, std::min(batch, N - s)).to(torch::kFloat);
    auto h = model.encoder(xb);  // (B, L, H)
    int64_t i = 0;
    for (auto& blk : model.layers()) {
      torch::Tensor sp;
      h = block_with_spikes(*blk, h, sp);
      spikes[size_t(i++)].push_back(sp.to(torch::kByte));
    }
    auto out = model.decoder(h.mean(1));  // (B, C)
    worst = std::max(worst, (out - model.forward(xb)).abs().max().item<double>());
    logits.push_back(out);
  }
  int64_t k = 0;
  for (auto& blk : model.layers()) blk->options.mix_kernel(kernels[size_t(k++)]);
  if (!(worst <= 1e-5))
    throw std::runtime_error(
        "nir reference: the block-by-block run differs from the model's "
        "forward by " +
        std::to_string(worst));
  // The graph's input: raw values when it starts with the task's standardisation.
  auto inputs = x.to(torch::kFloat);
  if (!opt.input_scale.empty()) {
    auto scale = torch::tensor(opt.input_scale, torch::kDouble);
    auto shift = torch::tensor(opt.input_shift, torch::kDouble);
    inputs = ((x.to(torch::kDouble) - shift) / scale).to(torch::kFloat);
  }
  const std::string d = dir + "/";
  write_file_atomic(d + "inputs.npy", npy_bytes(inputs.contiguous()));
  write_file_atomic(d + "labels.npy", npy_bytes(y.to(torch::kLong).contiguous()));
  write_file_atomic(d + "logits.npy", npy_bytes(torch::cat(logits).contiguous()));
  for (int64_t i = 0; i < n_layers; ++i)
    write_file_atomic(d + "spikes_block" + std::to_string(i) + ".npy",
                      npy_bytes(torch::cat(spikes[size_t(i)]).contiguous()));
}

}  // namespace spikessm

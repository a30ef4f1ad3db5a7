// NeuronSpark decoder layer (papers.md 3.4).
#include "spikessm/layers/neuronspark_layer.h"

#include <cmath>

namespace spikessm {

void NeuronSparkLayerImpl::reset() {
  const int64_t D = options.block().d_model();
  norm_block = register_module("norm_block", RmsNorm(D, options.rms_eps()));
  norm_ffn = register_module("norm_ffn", RmsNorm(D, options.rms_eps()));
  in_block = register_module("in_block", PlifNode(options.plif()));
  in_ffn = register_module("in_ffn", PlifNode(options.plif()));
  block = register_module("block", SnnBlock(options.block()));
  auto ffn_opt = options.ffn();
  ffn_opt.n_layers(options.n_layers());
  ffn = register_module("ffn", SnnFfn(ffn_opt));
  // W_halt: Xavier-uniform (fan_in D, fan_out 1) x 0.01; b_halt = -3.5.
  const double xavier = std::sqrt(6.0 / double(D + 1));
  auto halt_w = [&] { return (torch::rand({D}) * 2 - 1) * xavier * 0.01; };
  halt_w_block = register_parameter("halt_w_block", halt_w());
  halt_b_block = register_parameter("halt_b_block", torch::full({}, options.halt_bias()));
  halt_w_ffn = register_parameter("halt_w_ffn", halt_w());
  halt_b_ffn = register_parameter("halt_b_ffn", torch::full({}, options.halt_bias()));
  // OutProj: GPT-2 style N(0, 0.02 / sqrt(2 layers)), as the NeuronSpark code.
  const double std_out = 0.02 / std::sqrt(2.0 * double(options.n_layers()));
  out_block = register_parameter("out_block", torch::randn({D, D}) * std_out);
  out_ffn = register_parameter("out_ffn", torch::randn({D, D}) * std_out);
}

// h: (B, L K, D) -> h (B, L K, D)
NeuronSparkLayerOutput NeuronSparkLayerImpl::forward(const torch::Tensor& h_in,
                                                     const torch::Tensor* state,
                                                     torch::Tensor* state_out,
                                                     NeuronSparkLayerStats* stats) {
  const int64_t K = options.frames();
  auto st = [&](int i) { return state != nullptr ? state[i] : torch::Tensor(); };
  auto out = [&](int i) { return state_out != nullptr ? state_out + i : nullptr; };
  auto tally = [&](SpikeSink NeuronSparkLayerStats::*m) {
    return stats != nullptr ? &(stats->*m) : nullptr;
  };
  // Aggregate K frames per token, project, centre over D, broadcast back to the K frames.
  auto residual = [&](const torch::Tensor& frames, const torch::Tensor& hw, const torch::Tensor& hb,
                      const torch::Tensor& proj, torch::Tensor* ek) {
    auto agg = ponder_aggregate(frames, K, hw, hb);
    *ek = agg.expected_frames;
    auto r = torch::matmul(agg.out, proj.t());  // (B, L, D)
    return repeat_frames(r - r.mean(-1, true), K);
  };
  NeuronSparkLayerOutput o;
  auto leak = in_block->forward(norm_block->forward(h_in), st(0), out(0),
                                tally(&NeuronSparkLayerStats::in_block));
  auto y = block->forward(leak, st(1), out(1), tally(&NeuronSparkLayerStats::hidden));
  auto h = h_in + residual(y, halt_w_block, halt_b_block, out_block, &o.ek_block);
  leak =
      in_ffn->forward(norm_ffn->forward(h), st(2), out(2), tally(&NeuronSparkLayerStats::in_ffn));
  y = ffn->forward(leak, st(3), st(4), out(3), out(4), tally(&NeuronSparkLayerStats::gate),
                   tally(&NeuronSparkLayerStats::up));
  o.h = h + residual(y, halt_w_ffn, halt_b_ffn, out_ffn, &o.ek_ffn);
  if (stats != nullptr) {
    stats->ek_block += o.ek_block.sum().item<double>();
    stats->ek_ffn += o.ek_ffn.sum().item<double>();
    stats->tokens += static_cast<double>(o.ek_block.numel());
  }
  return o;
}

}  // namespace spikessm

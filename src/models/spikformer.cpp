#include "spikessm/models/spikformer.h"

namespace spikessm {

SpikformerBlockImpl::SpikformerBlockImpl(const SpikingAttentionOptions& a, int64_t h)
    : attn_options(a), hidden(h) {
  reset();
}

void SpikformerBlockImpl::reset() {
  attn = register_module("attn", SpikingAttention(attn_options));
  fc1 = register_module("fc1", LinearBn(attn_options.d_model(), hidden));
  fc2 = register_module("fc2", LinearBn(hidden, attn_options.d_model()));
}

// x: (T, B, N, D) -> (T, B, N, D)
torch::Tensor SpikformerBlockImpl::forward(const torch::Tensor& x0) {
  attn->recorder = recorder;
  attn->name = name + ".attn";
  auto x = x0 + attn(x0);
  const int64_t T = x.size(0), B = x.size(1), N = x.size(2), D = x.size(3);
  if (recorder) recorder->synapse(name + ".fc1", x, double(N) * D * hidden, B, T);
  auto h = spikformer_lif(fc1(x), 1.0);
  if (recorder) {
    recorder->spikes(name + ".fc1_lif", h, 1);
    recorder->synapse(name + ".fc2", h, double(N) * hidden * D, B, T);
  }
  auto y = spikformer_lif(fc2(h), 1.0);
  if (recorder) recorder->spikes(name + ".fc2_lif", y, 1);
  return x + y;
}

SpikformerImpl::SpikformerImpl(const SpikformerOptions& o) : options(o) { reset(); }

void SpikformerImpl::reset() {
  const int64_t D = options.d_model(), C = options.in_channels();
  TORCH_CHECK(D % 4 == 0, "[Spikformer] d_model must be divisible by 4, got ", D);
  TORCH_CHECK(options.image_h() % 4 == 0 && options.image_w() % 4 == 0,
              "[Spikformer] image sides must be divisible by 4, got ", options.image_h(), "x",
              options.image_w());
  TORCH_CHECK(options.time_steps() >= 1, "[Spikformer] time_steps must be >= 1");
  auto conv = [](int64_t i, int64_t o) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(i, o, 3).padding(1).bias(false));
  };
  conv0 = register_module("conv0", conv(C, D / 4));
  bn0 = register_module("bn0", torch::nn::BatchNorm2d(D / 4));
  conv1 = register_module("conv1", conv(D / 4, D / 2));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(D / 2));
  conv2 = register_module("conv2", conv(D / 2, D));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(D));
  rpe = register_module("rpe", conv(D, D));
  rpe_bn = register_module("rpe_bn", torch::nn::BatchNorm2d(D));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.n_layers(); ++i) {
    SpikingAttentionOptions a(D, options.image_h() / 4, options.image_w() / 4);
    a.heads(options.heads()).kind(options.attention()).dendrites(options.dendrites());
    blocks->push_back(SpikformerBlock(a, D * options.mlp_ratio()));
  }
  head = register_module("head", torch::nn::Linear(D, options.n_classes()));
}

int64_t SpikformerImpl::tokens() const { return (options.image_h() / 4) * (options.image_w() / 4); }

// x: (B, C, H, W) -> (B, n_classes)
torch::Tensor SpikformerImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == options.in_channels() &&
                  x.size(2) == options.image_h() && x.size(3) == options.image_w(),
              "[Spikformer] x must be (B, ", options.in_channels(), ", ", options.image_h(), ", ",
              options.image_w(), "), got ", x.sizes());
  const int64_t T = options.time_steps(), B = x.size(0), D = options.d_model();
  const int64_t H = x.size(2), W = x.size(3);
  auto& rec = *recorder;
  // Encoding layer on real pixels: computed once (the input repeats over T), counted as MAC.
  rec.synapse("sps.conv0", x, double(H) * W * (D / 4) * options.in_channels() * 9, B, 1, "MAC");
  auto e = bn0(conv0(x));                                                    // (B, D/4, H, W)
  auto s = spikformer_lif(e.unsqueeze(0).expand({T, B, D / 4, H, W}), 1.0);  // (T, B, D/4, H, W)
  rec.spikes("sps.lif0", s, 1);
  // (T, B, c, h, w) -> (T B, c, h, w) for the convolutions, back to time-first for the LIF.
  auto stage = [&](const std::string& nm, const torch::Tensor& in, torch::nn::Conv2d& cv,
                   torch::nn::BatchNorm2d& bn) {
    const int64_t ci = in.size(2), h = in.size(3), w = in.size(4);
    const int64_t co = cv->options.out_channels();
    rec.synapse("sps." + nm, in, double(h) * w * ci * co * 9, B, T);
    auto y = bn(cv(in.reshape({T * B, ci, h, w})));
    return y.view({T, B, co, h, w});
  };
  auto pool = [&](const torch::Tensor& t) {
    auto y = torch::max_pool2d(t.flatten(0, 1), 2);
    return y.view({T, B, y.size(1), y.size(2), y.size(3)});
  };
  s = spikformer_lif(stage("conv1", s, conv1, bn1), 1.0);
  rec.spikes("sps.lif1", s, 1);
  s = pool(s);
  s = spikformer_lif(stage("conv2", s, conv2, bn2), 1.0);
  rec.spikes("sps.lif2", s, 1);
  s = pool(s);  // (T, B, D, H/4, W/4)
  auto r = spikformer_lif(stage("rpe", s, rpe, rpe_bn), 1.0);
  rec.spikes("sps.rpe_lif", r, 1);
  auto tok = (s + r).flatten(3).transpose(2, 3);  // (T, B, N, D)
  int i = 0;
  for (auto& m : *blocks) {
    auto blk = m->as<SpikformerBlockImpl>();
    blk->recorder = recorder;
    blk->name = "block" + std::to_string(i++);
    tok = blk->forward(tok);
  }
  auto pooled = tok.mean(2).mean(0);                                          // (B, D)
  rec.synapse("head", pooled, double(D) * options.n_classes(), B, 1, "MAC");  // real-valued mean
  return head(pooled);
}

void SpikformerImpl::set_collect_stats(bool on) {
  if (on)
    recorder->start();
  else
    recorder->stop();
}

OpsReport SpikformerImpl::ops_report(int64_t) { return recorder->synapse_report(); }

}  // namespace spikessm

#include "spikessm/layers/spiking_attention.h"

#include "spikessm/common/error.h"

namespace spikessm {

AttentionKind attention_from_string(const std::string& name) {
  if (name == "ssa") return AttentionKind::Ssa;
  if (name == "lrf_ssa") return AttentionKind::LrfSsa;
  if (name == "lrf_dyn") return AttentionKind::LrfDyn;
  throw InputError("model.attention: unknown attention '" + name + "' (expected ssa, lrf_ssa or lrf_dyn)");
}

std::string to_string(AttentionKind k) {
  switch (k) {
    case AttentionKind::Ssa: return "ssa";
    case AttentionKind::LrfSsa: return "lrf_ssa";
    case AttentionKind::LrfDyn: return "lrf_dyn";
  }
  return "?";
}

void LinearBnImpl::reset() {
  linear = register_module("linear", torch::nn::Linear(d_in_, d_out_));
  bn = register_module("bn", torch::nn::BatchNorm1d(d_out_));
}

// x: (T, B, N, Din) -> (T, B, N, Dout)
torch::Tensor LinearBnImpl::forward(const torch::Tensor& x) {
  auto y = linear(x.reshape({-1, d_in_}));  // (T B N, Dout)
  auto sizes = x.sizes().vec();
  sizes.back() = d_out_;
  return bn(y).view(sizes);
}

SpikingAttentionImpl::SpikingAttentionImpl(const SpikingAttentionOptions& o) : options(o) { reset(); }

void SpikingAttentionImpl::reset() {
  const int64_t D = options.d_model();
  TORCH_CHECK(options.heads() >= 1 && D % options.heads() == 0, "[SpikingAttention] d_model ", D,
              " is not divisible by heads ", options.heads());
  q = register_module("q", LinearBn(D, D));
  k = register_module("k", LinearBn(D, D));
  v = register_module("v", LinearBn(D, D));
  proj = register_module("proj", LinearBn(D, D));
  if (options.kind() != AttentionKind::Ssa) {
    auto dw = [&](int64_t dil) {
      return torch::nn::Conv2d(torch::nn::Conv2dOptions(D, D, 3).padding(dil).dilation(dil).groups(D).bias(false));
    };
    lrf3 = register_module("lrf3", dw(3));
    lrf5 = register_module("lrf5", dw(5));
  }
  if (options.kind() == AttentionKind::LrfDyn)
    dyn = register_module("dyn", NeuralDynamics(NeuralDynamicsOptions(D).dendrites(options.dendrites())));
}

// x: (T, B, N, D) -> (T, B, N, D)
torch::Tensor SpikingAttentionImpl::lrf(const torch::Tensor& x) {
  const int64_t T = x.size(0), B = x.size(1), N = x.size(2), D = x.size(3);
  auto grid = x.reshape({T * B, options.grid_h(), options.grid_w(), D}).permute({0, 3, 1, 2});  // (TB, D, h, w)
  auto y = lrf3(grid) + lrf5(grid);
  return y.permute({0, 2, 3, 1}).reshape({T, B, N, D});
}

torch::Tensor SpikingAttentionImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(2) == options.grid_h() * options.grid_w() && x.size(3) == options.d_model(),
              "[SpikingAttention] x must be (T, B, ", options.grid_h() * options.grid_w(), ", ",
              options.d_model(), "), got ", x.sizes());
  const int64_t T = x.size(0), B = x.size(1), N = x.size(2), D = x.size(3);
  const int64_t H = options.heads(), dh = D / H;
  auto rec = [&](const std::string& what, const torch::Tensor& in, double macs, const char* kind = "AC") {
    if (recorder) recorder->synapse(name + "." + what, in, macs, B, T, kind);
  };
  rec("q", x, double(N) * D * D);
  rec("k", x, double(N) * D * D);
  rec("v", x, double(N) * D * D);
  auto qs = spikformer_lif(q(x), 1.0), ks = spikformer_lif(k(x), 1.0), vs = spikformer_lif(v(x), 1.0);
  if (recorder) {
    recorder->spikes(name + ".q_lif", qs);
    recorder->spikes(name + ".k_lif", ks);
    recorder->spikes(name + ".v_lif", vs);
  }
  torch::Tensor a;
  if (options.kind() != AttentionKind::LrfDyn) {
    // (T, B, N, D) -> (T, B, H, N, dh); K^T V: (T, B, H, dh, dh); Q (K^T V): (T, B, H, N, dh)
    auto heads = [&](const torch::Tensor& t) { return t.view({T, B, N, H, dh}).transpose(2, 3); };
    auto kv = torch::matmul(heads(ks).transpose(-1, -2), heads(vs));
    a = (torch::matmul(heads(qs), kv) * options.scale()).transpose(2, 3).reshape({T, B, N, D});
    rec("kv", ks, double(N) * dh * dh * H);
    rec("q_kv", qs, double(N) * dh * dh * H);
    if (options.kind() == AttentionKind::LrfSsa) {
      a = a + lrf(vs);
      rec("lrf", vs, 2.0 * 9.0 * N * D);
    }
  } else {
    auto u = (ks * vs).reshape({T * B, N, D});     // presynaptic token input k_n v_n
    auto h = dyn(u).view({T, B, N, D});            // membrane of the dendrite-soma neuron
    a = qs * h + lrf(h);
    const double kd = double(options.dendrites());
    rec("kv_token", ks, double(N) * D);
    rec("dendrites", h, double(N) * D * (3.0 * kd + kd), "MAC");  // tridiagonal update + soma, real state
    rec("q_h", qs, double(N) * D);
    rec("lrf", h, 2.0 * 9.0 * N * D, "MAC");                      // real-valued membrane input
  }
  auto s = spikformer_lif(a, options.attn_v_th());
  if (recorder) recorder->spikes(name + ".attn_lif", s);
  rec("proj", s, double(N) * D * D);
  auto out = spikformer_lif(proj(s), 1.0);
  if (recorder) recorder->spikes(name + ".proj_lif", out);
  return out;
}

}  // namespace spikessm

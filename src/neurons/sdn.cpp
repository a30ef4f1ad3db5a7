#include "spikessm/neurons/sdn.h"

#include "../kernels/cpu/sdn_cpu.h"
#include "spikessm/neurons/lif.h"

namespace spikessm {

void SdnNetImpl::reset() {
  // PyTorch's Conv1d default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  auto uni = [](std::vector<int64_t> shape, double fan_in) {
    const double b = 1.0 / std::sqrt(fan_in);
    return torch::empty(shape).uniform_(-b, b);
  };
  enc = register_parameter("enc", uni({kSdnWidth}, 1));
  dw = register_parameter("dw", uni({kSdnWidth, kSdnTaps}, kSdnTaps));
  dw_bias = register_parameter("dw_bias", uni({kSdnWidth}, kSdnTaps));
  pw = register_parameter("pw", uni({kSdnWidth, kSdnWidth}, kSdnWidth));
  pw_bias = register_parameter("pw_bias", uni({kSdnWidth}, kSdnWidth));
  dec = register_parameter("dec", uni({kSdnWidth}, kSdnWidth));
  dec_bias = register_parameter("dec_bias", uni({1}, kSdnWidth));
  bn1 = register_module("bn1", torch::nn::BatchNorm1d(kSdnWidth));
  bn2 = register_module("bn2", torch::nn::BatchNorm1d(kSdnWidth));
}

torch::Tensor causal_windows(const torch::Tensor& x) {
  // x: (R, L) -> (R, L, 8); window k at t is x[t - 8 + k].
  auto padded = torch::constant_pad_nd(x, {kSdnTaps, 0});  // (R, L + 8)
  return padded.unfold(1, kSdnTaps, 1).narrow(1, 0, x.size(1));
}

torch::Tensor SdnNetImpl::forward(const torch::Tensor& x) {
  // x: (R, L) -> (R, L)
  const int64_t R = x.size(0), L = x.size(1);
  auto taps = (enc.unsqueeze(1) * dw).t();  // (8 taps, 8 ch)
  auto a = torch::addmm(dw_bias, causal_windows(x).reshape({-1, kSdnTaps}), taps);  // (R L, 8)
  auto h1 = torch::relu(bn1(a));
  auto h2 = torch::relu(bn2(torch::addmm(pw_bias, h1, pw.t())) + h1);
  return torch::addmv(dec_bias, h2, dec).view({R, L});
}

SdnWeights SdnNetImpl::fold(float tau) const {
  torch::NoGradGuard guard;
  auto scale = [](const torch::nn::BatchNorm1d& bn) {
    return bn->weight / torch::sqrt(bn->running_var + bn->options.eps());
  };
  auto s1 = scale(bn1), s2 = scale(bn2);
  SdnWeights w;
  w.tau = tau;
  w.w1 = (s1 * enc).unsqueeze(1) * dw;
  w.b1 = s1 * (dw_bias - bn1->running_mean) + bn1->bias;
  w.w2 = s2.unsqueeze(1) * pw;
  w.b2 = s2 * (pw_bias - bn2->running_mean) + bn2->bias;
  w.w3 = dec.clone();
  w.b3 = dec_bias.clone();
  for (auto* t : {&w.w1, &w.b1, &w.w2, &w.b2, &w.w3, &w.b3})
    *t = t->to(torch::kFloat32).contiguous();
  return w;
}

torch::Tensor sdn_predict(const SdnWeights& w, const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 3, "[sdn_predict] x must be (B, L, D), got ", x.sizes());
  TORCH_CHECK(x.scalar_type() == torch::kFloat32, "[sdn_predict] x must be float32");
  torch::NoGradGuard guard;
  const int64_t B = x.size(0), L = x.size(1), D = x.size(2);
  auto rows = x.detach().transpose(1, 2).contiguous();  // (B, D, L): one sequence per row
  auto m = torch::empty_like(rows);
  kernels::SdnParams p;
  p.R = B * D;
  p.L = L;
  p.x = rows.data_ptr<float>();
  p.m = m.data_ptr<float>();
  p.w1 = w.w1.data_ptr<float>();
  p.b1 = w.b1.data_ptr<float>();
  p.w2 = w.w2.data_ptr<float>();
  p.b2 = w.b2.data_ptr<float>();
  p.w3 = w.w3.data_ptr<float>();
  p.b3 = w.b3.item<float>();
  kernels::sdn_forward_cpu(p);
  return m.transpose(1, 2).contiguous();  // (B, L, D)
}

torch::Tensor sdn_spike(const SdnWeights& w, const torch::Tensor& y, Surrogate sg, float alpha) {
  auto m = sdn_predict(w, y);  // frozen: no gradient through the SDN
  // H(m + y - 1) with the surrogate on y is exactly a LIF with no leak (tau = 0) fed m + y:
  // u' = m + y, s = H(u' - 1), and the membrane chain is multiplied by tau = 0.
  LifOptions o;
  o.tau = 0.f;
  o.v_th = 1.f;
  o.surrogate = sg;
  o.alpha = alpha;
  return lif_multistep(m + y, o);
}

namespace ref {
torch::Tensor sdn_predict(const SdnWeights& w, const torch::Tensor& x) {
  // x: (B, L, D) -> (B, L, D), written from the definition, in x's dtype.
  torch::NoGradGuard guard;
  const int64_t B = x.size(0), L = x.size(1), D = x.size(2);
  auto o = x.options();
  auto rows = x.transpose(1, 2).reshape({B * D, L});
  auto win = causal_windows(rows);  // (R, L, 8)
  auto h1 = torch::relu(torch::matmul(win, w.w1.to(o).t()) + w.b1.to(o));
  auto h2 = torch::relu(torch::matmul(h1, w.w2.to(o).t()) + w.b2.to(o) + h1);
  auto m = torch::matmul(h2, w.w3.to(o)) + w.b3.to(o);  // (R, L)
  return m.view({B, D, L}).transpose(1, 2).contiguous();
}
}  // namespace ref

}  // namespace spikessm

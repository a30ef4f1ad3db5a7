// neuronspark_lm one token at a time (papers.md 3.4), for one sequence or B of them.
//
// The residual stream h is the same in the K frames of a token (the embedding and every
// sublayer's output are repeated into the frames), so the engine keeps one h (D) a token and
// runs K frames only where the neurons make them differ: the input PLIF of each sublayer,
// the SNNBlock's selective neurons and the FFN's gate and up neurons. Each projection is one
// pass over W^T (laid out at build time) for all K frames; nothing is allocated per token.
#include "neuronspark_step.h"

#include "../kernels/cpu/matvec_cpu.h"
#include "../kernels/cpu/neuronspark_step_cpu.h"
#include "../kernels/cpu/ssm_block_step_cpu.h"
#include "block_step.h"

namespace spikessm {
namespace {

using kernels::ChannelNormParams;
using kernels::PlifNodeStep;

template <typename T>
struct RmsStep {
  std::vector<T> w;
  T eps = T(0);
  explicit RmsStep(const RmsNormImpl& n) : w(values_of<T>(n.weight)), eps(T(n.eps())) {}
  // x: (D) -> y: (D)
  void operator()(int64_t D, const T* x, T* y) const {
    ChannelNormParams<T> p;
    p.kind = kernels::StepNorm::Rms;
    p.w = w.data();
    p.eps = eps;
    kernels::channel_norm_cpu(p, D, x, y);
  }
};

template <typename T>
struct PlifStep {
  std::vector<T> beta, omb, v_th;
  bool spiking = true;
  explicit PlifStep(const PlifNodeImpl& n) {
    const auto b = torch::sigmoid(n.w);  // as PlifNode::forward
    beta = values_of<T>(b);
    omb = values_of<T>(1 - b);
    v_th = values_of<T>(n.v_th);
    spiking = n.options.spiking();
  }
  PlifNodeStep<T> params() const {
    return {int64_t(beta.size()), beta.data(), omb.data(), v_th.data(), spiking};
  }
};

// y = W x: (n_in) -> (n_out), W^T: (n_in, n_out); zero inputs skipped.
template <typename T>
void matvec(const std::vector<T>& wt, int64_t n_in, const T* x, int32_t* active, T* y) {
  kernels::matvec_cpu(x, n_in, wt.data(), static_cast<const T*>(nullptr), int64_t(wt.size()) / n_in,
                      active, y);
}

// W (out, in) for matvec_rows: W^T in column panels.
template <typename T>
struct RowsWeight {
  int64_t n_in = 0, n_out = 0;
  std::vector<T> panels;
  RowsWeight() = default;
  explicit RowsWeight(const torch::Tensor& w) : n_in(w.size(1)), n_out(w.size(0)) {
    const auto wt = values_of<T>(w.t());  // (in, out)
    panels = kernels::matvec_rows_pack(wt.data(), n_in, n_out);
  }
};

// Y = X W for R rows sharing W: (R, n_in) -> (R, n_out), W read once.
template <typename T>
void matvec_rows(const RowsWeight<T>& w, int64_t rows, const T* x, T* y) {
  kernels::MatvecRowsParams<T> mv;
  mv.rows = rows;
  mv.n_in = w.n_in;
  mv.n_out = w.n_out;
  mv.x = x;
  mv.panels = w.panels.data();
  mv.y = y;
  kernels::matvec_rows_cpu(mv);
}

// One NeuronSpark layer's fixed weights.
template <typename T>
struct LayerStep {
  RmsStep<T> norm_block, norm_ffn;
  PlifStep<T> in_block, in_ffn, gate, up;
  RowsWeight<T> block_w, out_w, ffn_w, down_w;
  std::vector<T> b_beta, b_alpha, b_th;
  std::vector<T> halt_w_block, halt_w_ffn, out_block_wt, out_ffn_wt;
  T halt_b_block, halt_b_ffn, v_min;
  bool spiking;
  explicit LayerStep(const NeuronSparkLayerImpl& l)
      : norm_block(*l.norm_block),
        norm_ffn(*l.norm_ffn),
        in_block(*l.in_block),
        in_ffn(*l.in_ffn),
        gate(*l.ffn->gate),
        up(*l.ffn->up) {
    const auto& b = *l.block;
    block_w = RowsWeight<T>(torch::cat({b.w_in, b.w_beta, b.w_alpha, b.w_th, b.w_gate, b.w_skip}));
    out_w = RowsWeight<T>(b.w_out);
    b_beta = values_of<T>(b.b_beta);
    b_alpha = values_of<T>(b.b_alpha);
    b_th = values_of<T>(b.b_th);
    v_min = T(b.options.v_min());
    spiking = b.options.spiking();
    ffn_w = RowsWeight<T>(torch::cat({l.ffn->w_gate, l.ffn->w_up, l.ffn->w_skip}));
    down_w = RowsWeight<T>(l.ffn->w_down);
    halt_w_block = values_of<T>(l.halt_w_block);
    halt_w_ffn = values_of<T>(l.halt_w_ffn);
    halt_b_block = T(l.halt_b_block.item<double>());
    halt_b_ffn = T(l.halt_b_ffn.item<double>());
    out_block_wt = values_of<T>(l.out_block.t());  // (D, D) W^T
    out_ffn_wt = values_of<T>(l.out_ffn.t());
  }
};

template <typename T>
class NeuronSparkLmStep final : public LmStepEngine {
 public:
  explicit NeuronSparkLmStep(NeuronSparkLmImpl& m)
      : norm_out_(*m.norm_out), lateral_(*m.lateral), out_plif_(*m.out_plif) {
    torch::NoGradGuard ng;
    D_ = m.options.d_model();
    N_ = m.options.n_state();
    F_ = m.options.d_ff();
    K_ = m.options.frames();
    vocab_ = m.options.vocab();
    embed_ = values_of<T>(m.embedding);
    head_wt_ = values_of<T>(m.embedding.t());  // (D, V)
    proj_wt_ = values_of<T>(m.proj.t());
    for (const auto& l : m.layers) layers_.emplace_back(*l);
    const int64_t DN = D_ * N_, widest = std::max(4 * DN + 2 * D_, 2 * F_ + D_);
    h_.resize(size_t(D_));
    xn_.resize(size_t(D_));
    leak_.resize(size_t(K_ * D_));
    z_.resize(size_t(K_ * widest));
    y_.resize(size_t(K_ * D_));
    o_.resize(size_t(K_ * D_));
    hidden_.resize(size_t(K_ * std::max(DN, F_)));
    lambda_.resize(size_t(K_));
    active_.resize(size_t(D_));  // matvec's inputs are all (D)
    dtype_ = std::is_same_v<T, float> ? torch::kFloat : torch::kDouble;
  }

  void load_state(const LmState& st) override {
    constexpr size_t S = NeuronSparkLayerImpl::kStateTensors;
    TORCH_CHECK(st.tensors.size() == layers_.size() * S + 1, "[LmStepEngine] the state has ",
                st.tensors.size(), " tensors, expected ", layers_.size() * S + 1);
    batch_ = st.tensors[0].size(0);
    state_.clear();
    widths_.clear();
    for (const auto& t : st.tensors) {
      TORCH_CHECK(t.dim() == 2 && t.size(0) == batch_, "[LmStepEngine] state tensor of shape ",
                  t.sizes(), ", expected (", batch_, ", n)");
      state_.push_back(values_of<T>(t));
      widths_.push_back(t.size(1));
    }
    const int64_t DN = D_ * N_;
    for (size_t l = 0; l < layers_.size(); ++l)
      for (size_t i = 0; i < S; ++i) {
        const int64_t want = i == 1 ? DN : (i >= 3 ? F_ : D_);
        TORCH_CHECK(widths_[l * S + i] == want, "[LmStepEngine] state ", l * S + i, " has ",
                    widths_[l * S + i], " columns, expected ", want);
      }
    TORCH_CHECK(widths_.back() == D_, "[LmStepEngine] the decoder state has ", widths_.back(),
                " columns, expected ", D_);
    logits_ = torch::empty({batch_, vocab_}, dtype_);
  }

  void store_state(LmState* st) const override {
    st->tensors.clear();
    for (size_t i = 0; i < state_.size(); ++i)
      st->tensors.push_back(
          torch::from_blob(const_cast<T*>(state_[i].data()), {batch_, widths_[i]}, dtype_).clone());
  }

 private:
  // Sequence b's membrane of state tensor i.
  T* membrane(size_t i, int64_t b) { return state_[i].data() + b * widths_[i]; }

  // The K frames of a fixed-parameter PLIF node driven by the same x: leak_ (K, n).
  void plif_frames(const PlifStep<T>& node, const T* x, T* v) {
    const auto p = node.params();
    for (int64_t k = 0; k < K_; ++k) kernels::plif_node_frame_cpu(p, x, v, leak_.data() + k * p.n);
  }

  // The sublayer's aggregation of y_ (K, D), projected, centred and added to h.
  void add_residual(const std::vector<T>& halt_w, T halt_b, const std::vector<T>& out_wt) {
    kernels::ponder_frames_cpu(y_.data(), K_, D_, halt_w.data(), halt_b, lambda_.data(),
                               xn_.data());
    matvec(out_wt, D_, xn_.data(), active_.data(), o_.data());
    T mean = T(0);
    for (int64_t d = 0; d < D_; ++d) mean += o_[d];
    mean /= T(D_);
    for (int64_t d = 0; d < D_; ++d) h_[d] += o_[d] - mean;
  }

  // Each projection runs over the K frames at once: the frames' inputs are known before it
  // (the input PLIF's x is the same in every frame; the selective and FFN neurons read only
  // their own frame's projection), so every weight is read once a token.
  void block(const LayerStep<T>& l, T* v_in, T* v_hidden) {
    const int64_t DN = D_ * N_, width = 4 * DN + 2 * D_;
    l.norm_block(D_, h_.data(), xn_.data());
    plif_frames(l.in_block, xn_.data(), v_in);
    matvec_rows(l.block_w, K_, leak_.data(), z_.data());  // (K, 4 D N + 2 D)
    const kernels::SelectivePlifStep<T> sp{
        DN, l.b_beta.data(), l.b_alpha.data(), l.b_th.data(), l.v_min, l.spiking};
    for (int64_t k = 0; k < K_; ++k) {
      kernels::selective_plif_frame_cpu(sp, z_.data() + k * width, v_hidden);
      std::copy(v_hidden, v_hidden + DN, hidden_.begin() + k * DN);
    }
    matvec_rows(l.out_w, K_, hidden_.data(), o_.data());  // (K, D)
    for (int64_t k = 0; k < K_; ++k) {
      const T* zg = z_.data() + k * width + 4 * DN;  // z_gate, then z_skip
      kernels::snn_block_output_frame_cpu(o_.data() + k * D_, zg, zg + D_, D_, y_.data() + k * D_);
    }
    add_residual(l.halt_w_block, l.halt_b_block, l.out_block_wt);
  }

  void ffn(const LayerStep<T>& l, T* v_in, T* v_gate, T* v_up) {
    const int64_t width = 2 * F_ + D_;
    l.norm_ffn(D_, h_.data(), xn_.data());
    plif_frames(l.in_ffn, xn_.data(), v_in);
    matvec_rows(l.ffn_w, K_, leak_.data(), z_.data());  // (K, 2 D_ff + D)
    const auto gp = l.gate.params(), up = l.up.params();
    for (int64_t k = 0; k < K_; ++k) {
      T *z = z_.data() + k * width, *g = hidden_.data() + k * F_;
      kernels::plif_node_frame_cpu(gp, z, v_gate, g);
      kernels::plif_node_frame_cpu(up, z + F_, v_up, z + F_);  // u in place
      for (int64_t f = 0; f < F_; ++f) g[f] *= z[F_ + f];
    }
    matvec_rows(l.down_w, K_, hidden_.data(), o_.data());  // (K, D)
    for (int64_t k = 0; k < K_; ++k) {
      const T *o = o_.data() + k * D_, *skip = z_.data() + k * width + 2 * F_;
      T* y = y_.data() + k * D_;
      for (int64_t d = 0; d < D_; ++d) y[d] = o[d] + skip[d];
    }
    add_residual(l.halt_w_ffn, l.halt_b_ffn, l.out_ffn_wt);
  }

  void row(int64_t b, int64_t id) override {
    std::copy(embed_.begin() + id * D_, embed_.begin() + (id + 1) * D_, h_.begin());
    constexpr size_t S = NeuronSparkLayerImpl::kStateTensors;
    for (size_t l = 0; l < layers_.size(); ++l) {
      block(layers_[l], membrane(l * S, b), membrane(l * S + 1, b));
      ffn(layers_[l], membrane(l * S + 2, b), membrane(l * S + 3, b), membrane(l * S + 4, b));
    }
    // Decoder: RMSNorm, output PLIF, mean over the K frames, projection, lateral RMSNorm, head.
    norm_out_(D_, h_.data(), xn_.data());
    plif_frames(out_plif_, xn_.data(), membrane(state_.size() - 1, b));
    for (int64_t d = 0; d < D_; ++d) {
      T s = T(0);
      for (int64_t k = 0; k < K_; ++k) s += leak_[k * D_ + d];
      xn_[d] = s / T(K_);
    }
    matvec(proj_wt_, D_, xn_.data(), active_.data(), o_.data());
    lateral_(D_, o_.data(), xn_.data());
    matvec(head_wt_, D_, xn_.data(), active_.data(), logits_.data_ptr<T>() + b * vocab_);
  }

  int64_t D_ = 0, N_ = 0, F_ = 0, K_ = 0;
  torch::Dtype dtype_;
  RmsStep<T> norm_out_, lateral_;
  PlifStep<T> out_plif_;
  std::vector<LayerStep<T>> layers_;
  std::vector<T> embed_, head_wt_, proj_wt_;
  std::vector<T> h_, xn_, leak_, z_, y_, o_, hidden_, lambda_;  // per-token scratch
  std::vector<int32_t> active_;
  std::vector<std::vector<T>> state_;  // the model's state tensors, (B, width) each
  std::vector<int64_t> widths_;
};

}  // namespace

std::unique_ptr<LmStepEngine> neuronspark_step_engine(NeuronSparkLmImpl& m) {
  const auto dtype = m.embedding.scalar_type();
  if (dtype == torch::kFloat) return std::make_unique<NeuronSparkLmStep<float>>(m);
  if (dtype == torch::kDouble) return std::make_unique<NeuronSparkLmStep<double>>(m);
  return nullptr;
}

}  // namespace spikessm

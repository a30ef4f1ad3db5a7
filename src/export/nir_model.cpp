// SequenceClassifier <-> NIR graph: the exact real-valued forms described in nir_model.h.
#include "spikessm/export/nir_model.h"

#include <cmath>

#include "nir_parts.h"
#include "spikessm/common/error.h"
#include "spikessm/models/build.h"

namespace spikessm {

namespace nir_parts {

NirValue from_tensor(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kDouble).contiguous();
  std::vector<double> data(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  return NirValue::floats(c.sizes().vec(), std::move(data));
}

NirValue shape_value(std::vector<int64_t> shape) {
  std::vector<double> d(shape.begin(), shape.end());
  const int64_t n = int64_t(d.size());  // before d is moved from
  return NirValue::ints({n}, std::move(d));
}

void add_io(NirGraph& g, int64_t in, int64_t out) {
  g.add("input", "Input").params["shape"] = shape_value({in});
  g.add("output", "Output").params["shape"] = shape_value({out});
}

NirNode affine(const torch::Tensor& w, const torch::Tensor& b) {
  NirNode n;
  n.type = "Affine";
  n.params["weight"] = from_tensor(w);
  n.params["bias"] = from_tensor(b);
  return n;
}

std::string add_input_and_encoder(NirGraph& g, SequenceClassifierImpl& model,
                                  const NirExportOptions& opt) {
  const int64_t d = model.options.d_input();
  std::string src = "input";
  if (!opt.input_scale.empty()) {
    if (int64_t(opt.input_scale.size()) != d || opt.input_shift.size() != opt.input_scale.size())
      throw InputError("export: the input standardisation has " +
                       std::to_string(opt.input_scale.size()) + " features, the model reads " +
                       std::to_string(d));
    auto scale = torch::tensor(opt.input_scale, torch::kDouble);
    auto& n = g.nodes["normalise"] =
        affine(torch::diag(scale), torch::tensor(opt.input_shift, torch::kDouble));
    n.metadata["spikessm.note"] =
        NirValue::str("the task's input standardisation: " + opt.input_note);
    g.connect("input", "normalise");
    src = "normalise";
  }
  g.nodes["encoder"] = affine(model.encoder->weight.detach(), model.encoder->bias.detach());
  g.connect(src, "encoder");
  return "encoder";
}

void add_graph_metadata(NirGraph& g, const NirExportOptions& opt) {
  g.metadata["spikessm.config"] = NirValue::str(opt.config_toml);
  g.metadata["dt"] = NirValue::scalar(opt.dt);
  g.metadata["sequence_length"] = NirValue::scalar(double(opt.seq_len));
  if (!opt.input_note.empty()) g.metadata["spikessm.input"] = NirValue::str(opt.input_note);
}

}  // namespace nir_parts

namespace {

using nir_parts::add_io;
using nir_parts::affine;
using nir_parts::from_tensor;

constexpr const char* kFormat = "spikessm-nir-1";
// Dense (HN x HN) state matrices grow quadratically; beyond this the file would be GBs.
constexpr int64_t kMaxStates = 8192;

torch::Tensor to_tensor(const NirValue& v) {
  auto t = torch::tensor(v.data, torch::kDouble);
  return t.view(v.shape.empty() ? std::vector<int64_t>{} : v.shape);
}

// Continuous-time real state space of one S4D direction (see nir_model.h): A' = dt_h A / dt,
// B' = dt_h B / dt, states (h, n, re/im). Shapes: A (HN, HN), B (HN, H), C (H, HN).
void s4d_matrices(const S4DImpl& s4d, int64_t dir, double dt, torch::Tensor& A, torch::Tensor& B,
                  torch::Tensor& C) {
  const int64_t H = s4d.options.d_model(), n2 = s4d.options.d_state() / 2, S = H * n2 * 2;
  auto step = torch::exp(s4d.log_dt.detach().to(torch::kDouble)).unsqueeze(1) / dt;  // (H, 1)
  auto ar = -torch::exp(s4d.log_a_real.detach().to(torch::kDouble)) * step;          // (H, n2)
  auto ai = s4d.a_imag.detach().to(torch::kDouble) * step;
  torch::Tensor br = step.expand({H, n2}).clone(), bi = torch::zeros({H, n2}, torch::kDouble);
  if (s4d.b.defined()) {
    auto b = s4d.b.detach().to(torch::kDouble);
    br = b.select(-1, 0) * step;
    bi = b.select(-1, 1) * step;
  }
  auto c = s4d.c.detach().to(torch::kDouble)[dir];  // (H, n2, 2)
  A = torch::zeros({S, S}, torch::kDouble);
  B = torch::zeros({S, H}, torch::kDouble);
  C = torch::zeros({H, S}, torch::kDouble);
  auto a = A.accessor<double, 2>(), b = B.accessor<double, 2>(), cm = C.accessor<double, 2>();
  auto arA = ar.accessor<double, 2>(), aiA = ai.accessor<double, 2>();
  auto brA = br.accessor<double, 2>(), biA = bi.accessor<double, 2>();
  auto cA = c.accessor<double, 3>();
  for (int64_t h = 0; h < H; ++h)
    for (int64_t n = 0; n < n2; ++n) {
      const int64_t re = (h * n2 + n) * 2, im = re + 1;
      a[re][re] = arA[h][n];
      a[re][im] = -aiA[h][n];
      a[im][re] = aiA[h][n];
      a[im][im] = arA[h][n];
      b[re][h] = brA[h][n];
      b[im][h] = biA[h][n];
      cm[h][re] = 2 * cA[h][n][0];  // y = 2 Re(C x) = 2 (Cr p - Ci q)
      cm[h][im] = -2 * cA[h][n][1];
    }
}

// input -> B -> x (I, with x -> A -> x) -> C -> output, optionally after a one-step Delay.
void add_state_space(NirGraph& g, const torch::Tensor& A, const torch::Tensor& B,
                     const torch::Tensor& C, double delay_s) {
  const int64_t S = A.size(0), H = B.size(1);
  std::string src = "input";
  if (delay_s > 0) {
    g.add("delay", "Delay").params["delay"] =
        from_tensor(torch::full({H}, delay_s, torch::kDouble));
    g.connect("input", "delay");
    src = "delay";
  }
  g.add("b", "Linear").params["weight"] = from_tensor(B);
  g.add("x", "I").params["r"] = from_tensor(torch::ones({S}, torch::kDouble));
  g.add("a", "Linear").params["weight"] = from_tensor(A);
  g.add("c", "Linear").params["weight"] = from_tensor(C);
  g.connect(src, "b");
  g.connect("b", "x");
  g.connect("x", "a");
  g.connect("a", "x");
  g.connect("x", "c");
  g.connect("c", "output");
}

NirNode s4d_node(const S4DImpl& s4d, double dt) {
  NirNode node;
  node.type = "NIRGraph";
  node.graph = std::make_shared<NirGraph>();
  NirGraph& g = *node.graph;
  const int64_t H = s4d.options.d_model();
  add_io(g, H, H);
  torch::Tensor A, B, C;
  s4d_matrices(s4d, 0, dt, A, B, C);
  add_state_space(g, A, B, C, 0.0);
  g.add("d", "Scale").params["scale"] = from_tensor(s4d.d);
  g.connect("input", "d");
  g.connect("d", "output");
  if (s4d.options.bidirectional()) {
    s4d_matrices(s4d, 1, dt, A, B, C);
    auto& rev = g.add("reverse", "NIRGraph");
    add_io(*rev.graph, H, H);
    add_state_space(*rev.graph, A, B, C, dt);
    rev.metadata["spikessm.time_reversed"] = NirValue::scalar(1);
    rev.metadata["spikessm.note"] = NirValue::str(
        "anti-causal half: feed the input in reverse time order and reverse the output");
    g.connect("input", "reverse");
    g.connect("reverse", "output");
  }
  node.metadata["spikessm.op"] = NirValue::str("s4d");
  node.metadata["log_dt"] = from_tensor(s4d.log_dt);  // splits dt from A' for an exact import
  return node;
}

NirNode norm_node(SpikingSSMBlockImpl& blk) {
  const int64_t H = blk.options.s4d().d_model();
  if (blk.layer_norm) {
    auto& ln = blk.layer_norm;
    auto n = affine(torch::diag(ln->weight.detach()), ln->bias.detach());
    n.metadata["spikessm.op"] = NirValue::str("layer_norm");
    n.metadata["eps"] = NirValue::scalar(ln->options.eps());
    n.metadata["spikessm.note"] = NirValue::str(
        "apply (x - mean(x)) / sqrt(var(x) + eps) over the features first; this Affine is its gain "
        "and bias");
    return n;
  }
  auto& bn = blk.batch_norm;
  const double eps = bn->options.eps();
  auto scale = bn->weight.detach() / torch::sqrt(bn->running_var + eps);
  auto n = affine(torch::diag(scale), bn->bias.detach() - bn->running_mean * scale);
  n.metadata["spikessm.op"] = NirValue::str("batch_norm");
  n.metadata["gamma"] = from_tensor(bn->weight);
  n.metadata["beta"] = from_tensor(bn->bias);
  n.metadata["running_mean"] = from_tensor(bn->running_mean);
  n.metadata["running_var"] = from_tensor(bn->running_var);
  n.metadata["eps"] = NirValue::scalar(eps);
  (void)H;
  return n;
}

// ---- import helpers ----

struct ModelReader {
  std::string source;
  [[noreturn]] void fail(const std::string& what) const { throw InputError(source + ": " + what); }
  const NirNode& node(const NirGraph& g, const std::string& name, const std::string& type,
                      const std::string& where) const {
    auto it = g.nodes.find(name);
    if (it == g.nodes.end()) fail(where + name + ": node missing (not a spikessm NIR export)");
    if (it->second.type != type)
      fail(where + name + ": is " + it->second.type + ", expected " + type);
    return it->second;
  }
  torch::Tensor param(const NirNode& n, const std::string& key, std::vector<int64_t> shape,
                      const std::string& where) const {
    auto it = n.params.find(key);
    if (it == n.params.end()) fail(where + ": parameter '" + key + "' missing");
    if (it->second.shape != shape) {
      std::string s;
      for (auto d : shape) s += (s.empty() ? "" : ", ") + std::to_string(d);
      fail(where + "/" + key + ": wrong shape (expected (" + s + "))");
    }
    return to_tensor(it->second);
  }
  torch::Tensor meta(const NirNode& n, const std::string& key, const std::string& where) const {
    auto it = n.metadata.find(key);
    if (it == n.metadata.end() || it->second.kind == NirValue::String)
      fail(where + ": metadata '" + key + "' missing");
    return to_tensor(it->second);
  }
};

void assign(torch::Tensor dst, const torch::Tensor& src) {
  torch::NoGradGuard g;
  dst.copy_(src.to(dst.dtype()).view(dst.sizes()));
}

}  // namespace

namespace {

// One SpikingSSM block as nodes p + {norm, s4d, lif, mix, glu, residual}, fed by prev; prev
// becomes the block's output node.
void add_block(NirGraph& g, SpikingSSMBlockImpl& blk, const std::string& p, double dt,
               std::string& prev) {
  const auto& bo = blk.options;
  const int64_t H = bo.s4d().d_model();
  const double decay = bo.lif().tau, v_th = bo.lif().v_th;
  const bool norm = blk.layer_norm || blk.batch_norm;
  std::string z = prev;
  if (norm && bo.prenorm()) {
    g.nodes[p + "norm"] = norm_node(blk);
    g.connect(prev, p + "norm");
    z = p + "norm";
  }
  g.nodes[p + "s4d"] = s4d_node(*blk.s4d, dt);
  g.connect(z, p + "s4d");
  auto& lif = g.add(p + "lif", "LIF");
  lif.params["tau"] = from_tensor(torch::full({H}, dt / std::log(1.0 / decay), torch::kDouble));
  lif.params["r"] = from_tensor(torch::full({H}, 1.0 / (1.0 - decay), torch::kDouble));
  lif.params["v_leak"] = from_tensor(torch::zeros({H}, torch::kDouble));
  lif.params["v_reset"] = from_tensor(torch::zeros({H}, torch::kDouble));
  lif.params["v_threshold"] =
      from_tensor(v_th * torch::exp(blk.ln_vth.detach().to(torch::kDouble)));
  lif.metadata["spikessm.reset"] =
      NirValue::str(bo.lif().reset == ResetMode::Hard ? "to v_reset" : "subtract v_threshold");
  lif.metadata["spikessm.decay_per_step"] = NirValue::scalar(decay);
  g.connect(p + "s4d", p + "lif");
  g.nodes[p + "mix"] = affine(blk.mix->weight.detach(), blk.mix->bias.detach());
  g.connect(p + "lif", p + "mix");
  auto& glu = g.add(p + "glu", "NIRGraph");
  add_io(*glu.graph, 2 * H, H);
  auto sel = torch::cat({torch::eye(H, torch::kDouble), torch::zeros({H, H}, torch::kDouble)}, 1);
  glu.graph->add("value", "Linear").params["weight"] = from_tensor(sel);
  glu.graph->connect("input", "value");
  glu.graph->connect("value", "output");
  glu.metadata["spikessm.op"] = NirValue::str("glu");
  glu.metadata["spikessm.note"] =
      NirValue::str("output = x[:H] * sigmoid(x[H:]); the Linear selects x[:H] only");
  g.connect(p + "mix", p + "glu");
  g.add(p + "residual", "Scale").params["scale"] = from_tensor(torch::ones({H}, torch::kDouble));
  g.connect(p + "glu", p + "residual");
  g.connect(prev, p + "residual");
  prev = p + "residual";
  if (norm && !bo.prenorm()) {
    g.nodes[p + "norm"] = norm_node(blk);
    g.connect(prev, p + "norm");
    prev = p + "norm";
  }
}

}  // namespace

bool is_nir_standard(const SequenceClassifierImpl& model) {
  return model.options.block_kind() == BlockKind::SpikingSSM && model.options.block().linear_mix();
}

NirGraph classifier_to_nir(SequenceClassifierImpl& model, const NirExportOptions& opt) {
  torch::NoGradGuard no_grad;
  const auto& mo = model.options;
  const auto& bo = mo.block();
  const int64_t H = bo.s4d().d_model(), N = bo.s4d().d_state();
  // What NIR cannot express, one line each, named by the config key that chose it.
  if (mo.block_kind() == BlockKind::BinaryS4D)
    throw InputError(
        "model.block = \"binary_s4d\": NIR export covers the spiking_ssm block (NIR has no "
        "ternary-weight gated unit)");
  if (mo.encoder() == EncoderKind::Embedding)
    throw InputError(
        "model.encoder = \"embedding\": NIR has no embedding-table node (export covers "
        "real-valued signal tasks)");
  if (mo.retrieval())
    throw InputError("data.dataset: the two-tower retrieval head has no NIR form");
  if (mo.per_step())
    throw InputError(
        "data.train: a model trained on per-step targets has no NIR form here (the exported "
        "graph ends in the mean over time)");
  if (!bo.spiking())
    throw InputError(
        "model.spiking = false: the non-spiking twin has no LIF neurons to export to NIR");
  if (bo.neuron() != NeuronKind::Lif)
    throw InputError(
        "model.neuron: the surrogate dynamic network (sdn, sdn_scratch) is an MLP over the "
        "membrane history, not a NIR neuron; export covers bptt and sltt (the LIF)");
  if (H * N > kMaxStates)
    throw InputError("model: d_model x d_state = " + std::to_string(H * N) + " states exceed the " +
                     std::to_string(kMaxStates) +
                     " that the dense NIR state-space encoding supports");
  if (!(opt.dt > 0) || opt.seq_len <= 0)
    throw InputError("export: dt and the sequence length must be positive");
  const double dt = opt.dt;
  const double decay = bo.lif().tau;
  if (!(decay > 0 && decay < 1))
    throw InputError("model.tau: NIR's LIF needs a decay in (0, 1), got " + std::to_string(decay));
  if (is_nir_standard(model)) return classifier_to_standard_nir(model, opt);

  NirGraph g;
  add_io(g, mo.d_input(), mo.n_classes());
  std::string prev = nir_parts::add_input_and_encoder(g, model, opt);
  int i = 0;
  for (auto& blk : model.layers())
    add_block(g, *blk, "block" + std::to_string(i++) + "_", dt, prev);
  auto& pool = g.add("pool", "I");
  pool.params["r"] =
      from_tensor(torch::full({H}, 1.0 / (double(opt.seq_len) * dt), torch::kDouble));
  pool.metadata["spikessm.note"] = NirValue::str("mean over time: read the integrator at t = L dt");
  g.connect(prev, "pool");
  g.nodes["decoder"] = affine(model.decoder->weight.detach(), model.decoder->bias.detach());
  g.connect("pool", "decoder");
  g.connect("decoder", "output");

  nir_parts::add_graph_metadata(g, opt);
  g.metadata["spikessm.format"] = NirValue::str(kFormat);
  g.metadata["spikessm.note"] = NirValue::str(
      "one sequence step = dt seconds; state-space and LIF nodes are exact under zero-order-hold "
      "integration at step dt; the GLU and LayerNorm sub-graphs are annotated, not runnable "
      "(see spikessm docs/nir.md)");
  return g;
}

namespace {

// The parameters of one SpikingSSM block from its nodes p + {norm, s4d, lif, mix}.
void read_block(ModelReader& r, const NirGraph& g, SpikingSSMBlockImpl& blk, const std::string& p,
                double dt) {
  const auto& bo = blk.options;
  const int64_t H = bo.s4d().d_model(), n2 = bo.s4d().d_state() / 2, S = H * n2 * 2;
  const double decay = bo.lif().tau, v_th = bo.lif().v_th;
  if (blk.layer_norm) {
    const auto& n = r.node(g, p + "norm", "Affine", "");
    assign(blk.layer_norm->weight, torch::diagonal(r.param(n, "weight", {H, H}, p + "norm")));
    assign(blk.layer_norm->bias, r.param(n, "bias", {H}, p + "norm"));
  } else if (blk.batch_norm) {
    const auto& n = r.node(g, p + "norm", "Affine", "");
    assign(blk.batch_norm->weight, r.meta(n, "gamma", p + "norm"));
    assign(blk.batch_norm->bias, r.meta(n, "beta", p + "norm"));
    assign(blk.batch_norm->running_mean, r.meta(n, "running_mean", p + "norm"));
    assign(blk.batch_norm->running_var, r.meta(n, "running_var", p + "norm"));
  }
  // S4D: dt_h from metadata, then A = A' dt / dt_h, B = B' dt / dt_h, C = C / 2.
  const auto& sn = r.node(g, p + "s4d", "NIRGraph", "");
  auto& s4d = *blk.s4d;
  auto log_dt = r.meta(sn, "log_dt", p + "s4d");
  assign(s4d.log_dt, log_dt);
  auto unscale = torch::exp(s4d.log_dt.detach().to(torch::kDouble)).unsqueeze(1) / dt;  // (H, 1)
  auto read_dir = [&](const NirGraph& sg, int64_t dir, const std::string& where) {
    auto A = r.param(r.node(sg, "a", "Linear", where), "weight", {S, S}, where + "a");
    auto B = r.param(r.node(sg, "b", "Linear", where), "weight", {S, H}, where + "b");
    auto C = r.param(r.node(sg, "c", "Linear", where), "weight", {H, S}, where + "c");
    r.node(sg, "x", "I", where);
    auto idx = torch::arange(S / 2, torch::kLong) * 2;  // real-part rows
    auto ar = A.index({idx, idx}).view({H, n2}), ai = A.index({idx + 1, idx}).view({H, n2});
    auto hcol = torch::arange(H, torch::kLong).repeat_interleave(n2);
    auto br = B.index({idx, hcol}).view({H, n2}), bi = B.index({idx + 1, hcol}).view({H, n2});
    auto cr = C.index({hcol, idx}).view({H, n2}) / 2,
         ci = -C.index({hcol, idx + 1}).view({H, n2}) / 2;
    if (dir == 0) {
      assign(s4d.log_a_real, torch::log(-ar / unscale));
      assign(s4d.a_imag, ai / unscale);
      if (s4d.b.defined()) {
        assign(s4d.b, torch::stack({br / unscale, bi / unscale}, -1));
      } else if (!torch::allclose(br / unscale, torch::ones_like(br), 1e-5, 1e-6)) {
        r.fail(where + "b: input weights are not dt_h / dt although the model fixes B = 1");
      }
    }
    assign(s4d.c.detach()[dir], torch::stack({cr, ci}, -1));
  };
  read_dir(*sn.graph, 0, p + "s4d/");
  assign(s4d.d, r.param(r.node(*sn.graph, "d", "Scale", p + "s4d/"), "scale", {H}, p + "s4d/d"));
  if (s4d.options.bidirectional()) {
    const auto& rev = r.node(*sn.graph, "reverse", "NIRGraph", p + "s4d/");
    read_dir(*rev.graph, 1, p + "s4d/reverse/");
  }
  const auto& lif = r.node(g, p + "lif", "LIF", "");
  auto tau = r.param(lif, "tau", {H}, p + "lif");
  const double got_decay = std::exp(-dt / tau.mean().item<double>());
  if (std::abs(got_decay - decay) > 1e-5)
    r.fail(p + "lif: decay per step " + std::to_string(got_decay) +
           " differs from the config's model.tau " + std::to_string(decay));
  assign(blk.ln_vth, torch::log(r.param(lif, "v_threshold", {H}, p + "lif") / v_th));
  const auto& mix = r.node(g, p + "mix", "Affine", "");
  assign(blk.mix->weight, r.param(mix, "weight", {2 * H, H}, p + "mix"));
  assign(blk.mix->bias, r.param(mix, "bias", {2 * H}, p + "mix"));
  r.node(g, p + "glu", "NIRGraph", "");
  r.node(g, p + "residual", "Scale", "");
}

}  // namespace

NirImport classifier_from_nir(const NirGraph& g, const std::string& source) {
  ModelReader r{source};
  auto fmt = g.metadata.find("spikessm.format");
  if (fmt != g.metadata.end() && fmt->second.text == kStandardNirFormat)
    r.fail(
        "a model.nir_block graph (BatchNorm folded into its Affine nodes) cannot be imported; "
        "keep its checkpoint");
  if (fmt == g.metadata.end() || fmt->second.text != kFormat)
    r.fail("graph metadata lacks spikessm.format = " + std::string(kFormat) +
           " (not written by spikessm export)");
  auto cfg_it = g.metadata.find("spikessm.config");
  if (cfg_it == g.metadata.end()) r.fail("graph metadata lacks spikessm.config");
  NirImport out;
  out.cfg.merge_string(cfg_it->second.text, source + " (metadata spikessm.config)");
  NirNode top;
  top.metadata = g.metadata;
  out.dt = r.meta(top, "dt", "graph").item<double>();
  out.seq_len = int64_t(std::llround(r.meta(top, "sequence_length", "graph").item<double>()));
  const double dt = out.dt;

  const auto& in = r.node(g, "input", "Input", "");
  const auto& outn = r.node(g, "output", "Output", "");
  const int64_t d_in = int64_t(in.params.at("shape").data.at(0)),
                n_cls = int64_t(outn.params.at("shape").data.at(0));
  torch::manual_seed(0);
  out.model = build_classifier(out.cfg, d_in, n_cls);
  auto& m = *out.model;
  const auto& bo = m.options.block();
  const int64_t H = bo.s4d().d_model();
  torch::NoGradGuard no_grad;

  const auto& enc = r.node(g, "encoder", "Affine", "");
  assign(m.encoder->weight, r.param(enc, "weight", {H, d_in}, "encoder"));
  assign(m.encoder->bias, r.param(enc, "bias", {H}, "encoder"));
  const auto& dec = r.node(g, "decoder", "Affine", "");
  assign(m.decoder->weight, r.param(dec, "weight", {n_cls, H}, "decoder"));
  assign(m.decoder->bias, r.param(dec, "bias", {n_cls}, "decoder"));

  int i = 0;
  for (auto& blk : m.layers()) read_block(r, g, *blk, "block" + std::to_string(i++) + "_", dt);
  r.node(g, "pool", "I", "");
  return out;
}

std::pair<double, std::string> max_parameter_difference(torch::nn::Module& a,
                                                        torch::nn::Module& b) {
  auto pa = a.named_parameters(true), pb = b.named_parameters(true);
  auto ba = a.named_buffers(true), bb = b.named_buffers(true);
  double worst = 0;
  std::string where;
  auto visit = [&](const torch::OrderedDict<std::string, torch::Tensor>& x,
                   const torch::OrderedDict<std::string, torch::Tensor>& y) {
    for (const auto& item : x) {
      const auto* other = y.find(item.key());
      if (!other || other->sizes() != item.value().sizes()) {
        worst = INFINITY;
        where = item.key();
        return;
      }
      const double d =
          (item.value().detach().to(torch::kDouble) - other->detach().to(torch::kDouble))
              .abs()
              .max()
              .item<double>();
      if (d > worst) {
        worst = d;
        where = item.key();
      }
    }
  };
  visit(pa, pb);
  visit(ba, bb);
  return {worst, where};
}

}  // namespace spikessm

// The library's layers as Python classes: constructors from keyword options (the library's
// defaults and enum names), forward and the streaming methods. spikessm.nn wraps each in a
// torch.nn.Module whose parameters are these modules' own tensors.
#include "py_common.h"
#include "spikessm/layers/binary_s4d_block.h"
#include "spikessm/layers/gsu.h"
#include "spikessm/layers/neural_dynamics.h"
#include "spikessm/layers/neuronspark_layer.h"
#include "spikessm/layers/spiking_attention.h"
#include "spikessm/layers/spiking_ssm_block.h"
#include "spikessm/models/build.h"
#include "spikessm/ssm/s4d.h"

namespace spikessm::python {

namespace {

using Module = torch::nn::Module;
using Tensor = at::Tensor;
using Release = py::call_guard<py::gil_scoped_release>;

// torch::nn::Module is a virtual base: py::multiple_inheritance() makes pybind11 convert
// pointers with the cast, not assume the base sits at the derived object's address.
template <class T>
using Class = py::class_<T, Module, std::shared_ptr<T>>;

S4DOptions s4d_options(int64_t d_model, int64_t d_state, Kwargs& kw) {
  S4DOptions o(d_model, d_state);
  o.dt_min(kw.num("dt_min", o.dt_min()))
      .dt_max(kw.num("dt_max", o.dt_max()))
      .init(kw.choice<S4DInit>("init", o.init()))
      .trainable_b(kw.flag("trainable_b", o.trainable_b()))
      .bidirectional(kw.flag("bidirectional", o.bidirectional()));
  const auto backend = kw.str("backend", "scan");
  require(backend == "scan" || backend == "fft", "backend",
          "unknown S4D backend '" + backend + "' (expected one of: scan, fft)");
  o.use_fft(backend == "fft");
  require(d_state % 2 == 0 && d_state >= 2, "d_state",
          "must be even and >= 2 (N/2 complex modes), got " + std::to_string(d_state));
  return o;
}

LifOptions lif_options(Kwargs& kw) {
  LifOptions o;
  o.tau = float(kw.num("tau", o.tau));
  o.v_th = float(kw.num("v_th", o.v_th));
  o.reset = kw.choice<ResetMode>("reset", o.reset);
  o.detach_reset = kw.flag("detach_reset", o.detach_reset);
  o.surrogate = kw.choice<Surrogate>("surrogate", o.surrogate);
  o.alpha = float(kw.num("alpha", o.alpha));
  return o;
}

void bind_s4d(py::module_& m) {
  Class<S4DImpl>(m, "S4D", py::multiple_inheritance())
      .def(py::init([](int64_t d_model, int64_t d_state, const py::kwargs& kw) {
             Kwargs k(kw, "S4D");
             auto o = s4d_options(d_model, d_state, k);
             k.finish();
             return std::make_shared<S4DImpl>(o);
           }),
           py::arg("d_model"), py::arg("d_state"))
      .def("forward", &S4DImpl::forward, Release())
      .def("forward_recurrent", &S4DImpl::forward_recurrent, Release())
      .def("kernel", &S4DImpl::kernel, py::arg("L"), Release())
      .def("mode_weights",
           [](const S4DImpl& s) {
             Tensor w, z;
             s.mode_weights(w, z);
             return std::make_tuple(w, z);
           })
      .def("initial_state", [](const S4DImpl& s, int64_t b) { return s.initial_state(b).h; })
      .def(
          "step",
          [](const S4DImpl& s, const Tensor& x, const Tensor& h) {
            S4DState st{h};
            auto y = s.step(x, st);  // rebinds st.h: the caller's state is not modified
            return std::make_tuple(y, st.h);
          },
          Release())
      .def(
          "state_after", [](const S4DImpl& s, const Tensor& u) { return s.state_after(u).h; },
          Release())
      .def_property(
          "backend", [](const S4DImpl& s) { return s.options.use_fft() ? "fft" : "scan"; },
          [](S4DImpl& s, const std::string& b) {
            require(b == "scan" || b == "fft", "backend",
                    "unknown S4D backend '" + b + "' (expected one of: scan, fft)");
            s.options.use_fft(b == "fft");
          })
      .def_property_readonly("bidirectional",
                             [](const S4DImpl& s) { return s.options.bidirectional(); });
}

void bind_blocks(py::module_& m) {
  Class<SpikingSSMBlockImpl>(m, "SpikingSSMBlock", py::multiple_inheritance())
      .def(py::init([](int64_t d_model, int64_t d_state, const py::kwargs& kw) {
             Kwargs k(kw, "SpikingSSMBlock");
             SpikingSSMBlockOptions o(d_model, d_state);
             o.s4d(s4d_options(d_model, d_state, k));
             auto lif = lif_options(k);
             const auto neuron = k.str("neuron", "bptt");  // bptt | sltt | sdn | sdn_scratch
             lif.grad = neuron == "sltt" ? GradMode::SLTT : GradMode::BPTT;
             o.lif(lif)
                 .neuron(neuron_from_string(neuron))
                 .norm(k.choice<NormKind>("norm", o.norm()))
                 .prenorm(k.flag("prenorm", o.prenorm()))
                 .dropout(k.num("dropout", o.dropout()))
                 .learnable_vth(k.flag("learnable_vth", o.learnable_vth()))
                 .spiking(k.flag("spiking", o.spiking()))
                 .sdn_weights(k.str("sdn_weights", o.sdn_weights()))
                 .mix_kernel(k.choice<MixKernel>("mix_kernel", o.mix_kernel()));
             k.finish();
             return std::make_shared<SpikingSSMBlockImpl>(o);
           }),
           py::arg("d_model"), py::arg("d_state"))
      .def("forward", &SpikingSSMBlockImpl::forward, Release());

  Class<BinaryS4DBlockImpl>(m, "BinaryS4DBlock", py::multiple_inheritance())
      .def(py::init([](int64_t d_model, int64_t d_state, const py::kwargs& kw) {
             Kwargs k(kw, "BinaryS4DBlock");
             BinaryS4DBlockOptions o(d_model, d_state);
             o.s4d(s4d_options(d_model, d_state, k))
                 .norm(k.choice<NormKind>("norm", o.norm()))
                 .prenorm(k.flag("prenorm", o.prenorm()))
                 .dropout(k.num("dropout", o.dropout()))
                 .activation(k.choice<BinaryActivation>("activation", o.activation()))
                 .surrogate(k.choice<Surrogate>("surrogate", o.surrogate()))
                 .alpha(k.num("alpha", o.alpha()))
                 .mixer(k.choice<MixerKind>("mixer", o.mixer()))
                 .gsu_gelu(k.flag("gsu_gelu", o.gsu_gelu()));
             k.finish();
             return std::make_shared<BinaryS4DBlockImpl>(o);
           }),
           py::arg("d_model"), py::arg("d_state"))
      .def("forward", &BinaryS4DBlockImpl::forward, Release());

  Class<GSUImpl>(m, "GSU", py::multiple_inheritance())
      .def(py::init([](int64_t d_model, const py::kwargs& kw) {
             Kwargs k(kw, "GSU");
             GSUOptions o(d_model);
             o.gelu(k.flag("gelu", o.gelu()))
                 .threshold_ratio(k.num("threshold_ratio", o.threshold_ratio()))
                 .surrogate(k.choice<Surrogate>("surrogate", o.surrogate()))
                 .alpha(k.num("alpha", o.alpha()));
             k.finish();
             return std::make_shared<GSUImpl>(o);
           }),
           py::arg("d_model"))
      .def("forward", &GSUImpl::forward, Release())
      .def("weight_density", &GSUImpl::weight_density);
}

PlifNodeOptions plif_node_options(int64_t dim, Kwargs& k) {
  PlifNodeOptions o(dim);
  o.init_tau(k.num("init_tau", o.init_tau()))
      .v_threshold(k.num("v_threshold", o.v_threshold()))
      .surrogate_alpha(k.num("surrogate_alpha", o.surrogate_alpha()))
      .spiking(k.flag("spiking", o.spiking()));
  return o;
}

void bind_neuronspark(py::module_& m) {
  Class<PlifNodeImpl>(m, "PlifNode", py::multiple_inheritance())
      .def(py::init([](int64_t dim, const py::kwargs& kw) {
             Kwargs k(kw, "PlifNode");
             auto o = plif_node_options(dim, k);
             k.finish();
             return std::make_shared<PlifNodeImpl>(o);
           }),
           py::arg("dim"))
      .def(
          "forward",
          [](PlifNodeImpl& p, const Tensor& x, const c10::optional<Tensor>& v0) {
            Tensor v_last;
            auto leak = p.forward(x, v0.has_value() ? *v0 : Tensor(), &v_last);
            return std::make_tuple(leak, v_last);
          },
          py::arg("x"), py::arg("v0") = py::none(), Release());

  // The layer as NeuronSparkLmImpl builds it: one set of PLIF options for every PLIF node.
  Class<NeuronSparkLayerImpl>(m, "NeuronSparkLayer", py::multiple_inheritance())
      .def(py::init([](int64_t d_model, int64_t n_state, int64_t d_ff, int64_t frames,
                       const py::kwargs& kw) {
             Kwargs k(kw, "NeuronSparkLayer");
             NeuronSparkLayerOptions o(d_model, n_state, d_ff, frames);
             auto plif = plif_node_options(d_model, k);
             o.block()
                 .v_min(k.num("v_min", o.block().v_min()))
                 .surrogate_alpha(plif.surrogate_alpha())
                 .spiking(plif.spiking())
                 .k_ref(k.integer("k_ref", o.block().k_ref()))
                 .p_assumed(k.num("p_assumed", o.block().p_assumed()));
             o.ffn().plif(plif);
             o.plif(plif)
                 .n_layers(k.integer("n_layers", o.n_layers()))
                 .halt_bias(k.num("halt_bias", o.halt_bias()))
                 .rms_eps(k.num("rms_eps", o.rms_eps()));
             k.finish();
             return std::make_shared<NeuronSparkLayerImpl>(o);
           }),
           py::arg("d_model"), py::arg("n_state"), py::arg("d_ff"), py::arg("frames"))
      .def(
          "forward",
          [](NeuronSparkLayerImpl& l, const Tensor& h,
             const c10::optional<std::vector<Tensor>>& state) {
            std::vector<Tensor> out_state(NeuronSparkLayerImpl::kStateTensors);
            if (state.has_value())
              TORCH_CHECK(int64_t(state->size()) == NeuronSparkLayerImpl::kStateTensors,
                          "[NeuronSparkLayer] state must hold ",
                          NeuronSparkLayerImpl::kStateTensors, " membranes, got ", state->size());
            auto r = l.forward(h, state.has_value() ? state->data() : nullptr, out_state.data());
            return std::make_tuple(r.h, r.ek_block, r.ek_ffn, out_state);
          },
          py::arg("h"), py::arg("state") = py::none(), Release());
}

void bind_attention(py::module_& m) {
  Class<NeuralDynamicsImpl>(m, "NeuralDynamics", py::multiple_inheritance())
      .def(py::init([](int64_t d_model, const py::kwargs& kw) {
             Kwargs k(kw, "NeuralDynamics");
             NeuralDynamicsOptions o(d_model);
             o.dendrites(k.integer("dendrites", o.dendrites()))
                 .gamma(k.num("gamma", o.gamma()))
                 .beta_max(k.num("beta_max", o.beta_max()))
                 .a_min(k.num("a_min", o.a_min()))
                 .a_max(k.num("a_max", o.a_max()));
             k.finish();
             return std::make_shared<NeuralDynamicsImpl>(o);
           }),
           py::arg("d_model"))
      .def("forward", &NeuralDynamicsImpl::forward, Release())
      .def(
          "forward_chunk",
          [](NeuralDynamicsImpl& n, const Tensor& u, const c10::optional<Tensor>& state) {
            Tensor s =
                state.has_value()
                    ? state->contiguous().clone()
                    : torch::zeros({u.size(0), n.options.dendrites(), u.size(2)}, u.options());
            auto y = n.forward_chunk(u, s);
            return std::make_tuple(y, s);
          },
          py::arg("u"), py::arg("state") = py::none(), Release())
      .def("decay", &NeuralDynamicsImpl::decay)
      .def("coupling", &NeuralDynamicsImpl::coupling)
      .def_readwrite("parallel_in_eval", &NeuralDynamicsImpl::parallel_in_eval);

  Class<SpikingAttentionImpl>(m, "SpikingAttention", py::multiple_inheritance())
      .def(py::init([](int64_t d_model, int64_t grid_h, int64_t grid_w, const py::kwargs& kw) {
             Kwargs k(kw, "SpikingAttention");
             SpikingAttentionOptions o(d_model, grid_h, grid_w);
             o.heads(k.integer("heads", o.heads()))
                 .kind(k.choice<AttentionKind>("kind", o.kind()))
                 .dendrites(k.integer("dendrites", o.dendrites()))
                 .scale(k.num("scale", o.scale()))
                 .attn_v_th(k.num("attn_v_th", o.attn_v_th()));
             k.finish();
             return std::make_shared<SpikingAttentionImpl>(o);
           }),
           py::arg("d_model"), py::arg("grid_h"), py::arg("grid_w"))
      .def("forward", &SpikingAttentionImpl::forward, Release())
      .def_readwrite("stream_rows", &SpikingAttentionImpl::stream_rows);
}

}  // namespace

void bind_layers(py::module_& m) {
  bind_s4d(m);
  bind_blocks(m);
  bind_neuronspark(m);
  bind_attention(m);
}

}  // namespace spikessm::python

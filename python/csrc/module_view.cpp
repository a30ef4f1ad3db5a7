// The generic view of a C++ torch::nn::Module that spikessm.nn builds its torch.nn.Module
// tree from: its own parameters and buffers (the very tensors the C++ forward uses, so an
// optimizer over them trains the C++ module), its children, and its training flag.
#include "py_common.h"

namespace spikessm::python {

namespace {

using Module = torch::nn::Module;

// Defined tensors only: an optional parameter (e.g. S4D's B when fixed) may be registered empty.
std::vector<std::pair<std::string, at::Tensor>> own(
    const torch::OrderedDict<std::string, at::Tensor>& d) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& it : d)
    if (it.value().defined()) out.emplace_back(it.key(), it.value());
  return out;
}

}  // namespace

void bind_module_view(py::module_& m) {
  // module_local: LibTorch's own Python bindings may register torch::nn::Module too.
  py::class_<Module, std::shared_ptr<Module>>(m, "CppModule", py::module_local(),
                                              "A C++ torch::nn::Module of the library.")
      .def("named_parameters", [](Module& self) { return own(self.named_parameters(false)); })
      .def("named_buffers", [](Module& self) { return own(self.named_buffers(false)); })
      .def("named_children",
           [](Module& self) {
             std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
             for (const auto& c : self.named_children()) out.emplace_back(c.key(), c.value());
             return out;
           })
      .def(
          "train", [](Module& self, bool on) { self.train(on); }, py::arg("mode") = true)
      .def_property_readonly("training", [](const Module& self) { return self.is_training(); })
      .def_property_readonly("type_name", [](const Module& self) { return self.name(); });
}

}  // namespace spikessm::python

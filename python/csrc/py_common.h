#pragma once
// Shared pieces of the Python bindings: the registration function of each file, and option
// names read from Python strings with the library's own enum tables (so a bad name is the
// same one-line InputError the CLI prints).
#include <torch/extension.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "spikessm/common/kinds.h"

// A module handed to Python as its base torch::nn::Module (a child in the module tree) stays a
// base object: pybind11's downcast to a registered derived class would copy the shared_ptr
// holder without adjusting for torch::nn::Module being a virtual base.
namespace pybind11 {
template <>
struct polymorphic_type_hook<torch::nn::Module> {
  static const void* get(const torch::nn::Module* src, const std::type_info*& type) {
    type = nullptr;
    return src;
  }
};
}  // namespace pybind11

namespace spikessm::python {

namespace py = pybind11;

// The value of enum E named `name`; InputError "[op] what: unknown ... (expected one of ...)".
template <class E>
E enum_arg(c10::string_view name, const char* op, const char* what) {
  return parse_enum<E>(std::string(name), std::string("[") + op + "] " + what);
}

// Keyword options of a constructor: each read by name with the library's default; finish()
// refuses names nobody read, so a typo is a TypeError rather than a silently ignored option.
class Kwargs {
 public:
  Kwargs(const py::kwargs& kw, std::string owner) : kw_(kw), owner_(std::move(owner)) {}
  double num(const char* key, double def) { return get<double>(key, def, "a number"); }
  int64_t integer(const char* key, int64_t def) { return get<int64_t>(key, def, "an integer"); }
  bool flag(const char* key, bool def) { return get<bool>(key, def, "a bool"); }
  std::string str(const char* key, const std::string& def) {
    return get<std::string>(key, def, "a string");
  }
  // An option named by a string of E's names table (e.g. surrogate="atan").
  template <class E>
  E choice(const char* key, E def) {
    if (!kw_.contains(key)) return def;
    return parse_enum<E>(str(key, ""), owner_ + ": " + key);
  }
  void finish() const {
    for (const auto& item : kw_) {
      const auto key = py::cast<std::string>(item.first);
      if (!read_.count(key))
        throw py::type_error(owner_ + ": unexpected keyword argument '" + key + "'");
    }
  }

 private:
  template <class T>
  T get(const char* key, const T& def, const char* what) {
    read_.insert(key);
    if (!kw_.contains(key)) return def;
    try {
      return py::cast<T>(kw_[key]);
    } catch (const py::cast_error&) {
      throw py::type_error(owner_ + ": " + key + " expects " + what);
    }
  }
  py::kwargs kw_;
  std::string owner_;
  std::set<std::string> read_;
};

// A JSON value as the equal Python object (dict, list, str, float, int, bool, None).
py::object to_python(const nlohmann::json& j);

// Each binding file registers its classes and functions on the extension module.
void bind_errors(py::module_& m);       // C++ exceptions -> Python exceptions (errors.cpp)
void bind_module_view(py::module_& m);  // the generic view of a torch::nn::Module (module_view.cpp)
void bind_layers(py::module_& m);  // S4D, blocks, GSU, NeuronSpark parts, attention (layers.cpp)
void bind_models(py::module_& m);  // classifiers and language models from a config (models.cpp)
void bind_checkpoints(py::module_& m);  // load, save, evaluate checkpoints (checkpoints.cpp)

}  // namespace spikessm::python

// The extension module spikessm._C: importing it registers the ops (torch.ops.spikessm.*, by
// the TORCH_LIBRARY blocks of ops_*.cpp) and binds the library's modules and checkpoints.
#include <malloc.h>

#include "py_common.h"
#include "spikessm/common/blas_core.h"

namespace spikessm::python {

py::object to_python(const nlohmann::json& j) {
  return py::module_::import("json").attr("loads")(j.dump());
}

}  // namespace spikessm::python

PYBIND11_MODULE(_C, m) {
  using namespace spikessm::python;
  m.doc() = "spikessm C++ library bindings (use the spikessm package, not this module)";
  bind_errors(m);
  bind_module_view(m);
  bind_layers(m);
  bind_models(m);
  bind_checkpoints(m);
  // The CLI's allocator settings (DESIGN.md: fresh pages cost ~0.3 GB/s here): big buffers are
  // kept and reused instead of being unmapped after every step.
  m.def(
      "keep_freed_memory",
      [] {
        mallopt(M_MMAP_THRESHOLD, 1 << 30);
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
        mallopt(M_TOP_PAD, 64 << 20);
      },
      "Sets glibc's allocator as the spikessm CLI does (keep freed memory for reuse).");
  m.def(
      "set_threads", &spikessm::set_threads, py::arg("n"),
      "Intra-op threads for ATen and OpenBLAS's own pool (0: every core), as the CLI's --threads.");
}

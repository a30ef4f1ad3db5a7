// C++ exceptions as Python exceptions, one line each: what the user handed us (InputError,
// e.g. a bad file, key or option name) is a ValueError; a failed input check of an op or module
// (c10::Error from TORCH_CHECK) keeps PyTorch's mapping (RuntimeError, or its ValueError,
// TypeError, IndexError subclasses) without the C++ backtrace that what() appends.
#include "py_common.h"
#include "spikessm/common/error.h"

namespace spikessm::python {

namespace {

std::string first_line(std::string msg) {
  if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  return msg;
}

}  // namespace

void bind_errors(py::module_& m) {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InputError& e) {
      PyErr_SetString(PyExc_ValueError, first_line(e.what()).c_str());
    } catch (const c10::IndexError& e) {
      PyErr_SetString(PyExc_IndexError, first_line(e.what_without_backtrace()).c_str());
    } catch (const c10::ValueError& e) {
      PyErr_SetString(PyExc_ValueError, first_line(e.what_without_backtrace()).c_str());
    } catch (const c10::TypeError& e) {
      PyErr_SetString(PyExc_TypeError, first_line(e.what_without_backtrace()).c_str());
    } catch (const c10::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, first_line(e.what_without_backtrace()).c_str());
    }
  });
}

}  // namespace spikessm::python

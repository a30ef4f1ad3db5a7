#include "spikessm/export/npy.h"

#include <cstring>

#include "spikessm/common/error.h"

namespace spikessm {

std::string npy_bytes(const torch::Tensor& t_in) {
  const char* descr = nullptr;
  switch (t_in.scalar_type()) {
    case torch::kFloat:
      descr = "<f4";
      break;
    case torch::kDouble:
      descr = "<f8";
      break;
    case torch::kLong:
      descr = "<i8";
      break;
    case torch::kByte:
      descr = "|u1";
      break;
    default:
      throw InputError(std::string("npy: float32, float64, int64 or uint8 tensors only, got ") +
                       c10::toString(t_in.scalar_type()));
  }
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "npy_bytes writes host byte order");
  const auto t = t_in.cpu().contiguous();
  std::string shape = "(";
  for (int64_t i = 0; i < t.dim(); ++i)
    shape += std::to_string(t.size(i)) + (t.dim() == 1 || i + 1 < t.dim() ? "," : "");
  shape += ")";
  std::string header =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic (6) + version (2) + header length (2) + header, padded with spaces and ending in a
  // newline so that the data starts at a multiple of 64 bytes (the format's alignment).
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  out += header;
  const size_t bytes = size_t(t.numel()) * t.element_size();
  out.append(static_cast<const char*>(t.data_ptr()), bytes);
  return out;
}

}  // namespace spikessm

#include "spikessm/data/npy.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <mutex>

#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"

namespace spikessm {
namespace {

struct NpyHeader {
  char order = '<';  // '<' little, '>' big, '|' not applicable
  char kind = 'f';   // b bool, i signed, u unsigned, f float
  int size = 4;      // bytes per element
  bool fortran = false;
  std::vector<int64_t> shape;
  size_t data_offset = 0;
  int64_t count() const {  // parse_header refused shapes of more than kNpyMaxElements
    int64_t n = 1;
    for (int64_t d : shape)
      if (d == 0) return 0;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw InputError(where + ": " + what);
}

// The value text after 'key': in the header's Python dict literal.
std::string dict_value(const std::string& h, const std::string& key, const std::string& where) {
  const size_t k = h.find("'" + key + "'");
  if (k == std::string::npos) bad(where, "npy header has no '" + key + "' entry");
  size_t v = h.find(':', k);
  if (v == std::string::npos) bad(where, "npy header entry '" + key + "' has no value");
  ++v;
  while (v < h.size() && h[v] == ' ') ++v;
  size_t end = v;
  if (v < h.size() && (h[v] == '(' || h[v] == '\'')) {
    const char close = h[v] == '(' ? ')' : '\'';
    end = h.find(close, v + 1);
    if (end == std::string::npos) bad(where, "npy header entry '" + key + "' is not closed");
    return h.substr(v, end - v + 1);
  }
  while (end < h.size() && h[end] != ',' && h[end] != '}') ++end;
  return h.substr(v, end - v);
}

NpyHeader parse_header(const std::string& b, const std::string& where) {
  if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0)
    bad(where, "not a NumPy .npy array (no \\x93NUMPY magic)");
  const int major = uint8_t(b[6]);
  if (major < 1 || major > 3)
    bad(where, "npy format version " + std::to_string(major) + " (expected 1-3)");
  size_t len = 0, start = 0;
  if (major == 1) {
    len = uint8_t(b[8]) | size_t(uint8_t(b[9])) << 8;
    start = 10;
  } else {
    if (b.size() < 12) bad(where, "npy header is truncated");
    for (int i = 0; i < 4; ++i) len |= size_t(uint8_t(b[8 + i])) << (8 * i);
    start = 12;
  }
  if (len > 1 << 20 || start + len > b.size()) bad(where, "npy header is truncated");
  const std::string h = b.substr(start, len);
  NpyHeader r;
  r.data_offset = start + len;
  const std::string descr = dict_value(h, "descr", where);
  if (descr.size() != 5 || descr[0] != '\'' || descr[4] != '\'')
    bad(where, "npy dtype " + descr +
                   " is not supported (expected bool, int8-64, uint8-16, float32 or float64)");
  r.order = descr[1];
  r.kind = descr[2];
  r.size = descr[3] - '0';
  const bool ok = (r.order == '<' || r.order == '>' || r.order == '|') &&
                  ((r.kind == 'b' && r.size == 1) ||
                   (r.kind == 'i' && (r.size == 1 || r.size == 2 || r.size == 4 || r.size == 8)) ||
                   (r.kind == 'u' && (r.size == 1 || r.size == 2)) ||
                   (r.kind == 'f' && (r.size == 4 || r.size == 8)));
  if (!ok)
    bad(where, "npy dtype " + descr +
                   " is not supported (expected bool, int8-64, uint8-16, float32 or float64)");
  const std::string fo = dict_value(h, "fortran_order", where);
  if (fo != "True" && fo != "False")
    bad(where, "npy fortran_order is '" + fo + "' (expected True or False)");
  r.fortran = fo == "True";
  const std::string shape = dict_value(h, "shape", where);
  if (shape.empty() || shape[0] != '(') bad(where, "npy shape " + shape + " is not a tuple");
  int64_t elements = 1;
  for (size_t i = 1; i < shape.size();) {
    while (i < shape.size() && (shape[i] == ' ' || shape[i] == ',')) ++i;
    if (i >= shape.size() || shape[i] == ')') break;
    size_t j = i;
    while (j < shape.size() && std::isdigit(uint8_t(shape[j]))) ++j;
    if (j == i || j - i > 12) bad(where, "npy shape " + shape + " is not a tuple of sizes");
    const int64_t d = std::stoll(shape.substr(i, j - i));
    if (d > kNpyMaxElements)
      bad(where, "npy array is larger than " + std::to_string(kNpyMaxElements) + " elements");
    r.shape.push_back(d);
    // saturates at the limit + 1 without overflow; a later 0 still makes the array empty
    elements = d != 0 && elements > (kNpyMaxElements + 1) / d ? kNpyMaxElements + 1 : elements * d;
    i = j;
  }
  if (elements > kNpyMaxElements)
    bad(where, "npy array is larger than " + std::to_string(kNpyMaxElements) + " elements");
  return r;
}

torch::ScalarType scalar_type(const NpyHeader& h) {
  switch (h.kind) {
    case 'b':
      return torch::kBool;
    case 'u':
      return h.size == 1 ? torch::kUInt8 : torch::kInt16;  // uint16: read as bits, widened
    case 'i':
      return h.size == 1   ? torch::kInt8
             : h.size == 2 ? torch::kInt16
             : h.size == 4 ? torch::kInt32
                           : torch::kInt64;
    default:
      return h.size == 4 ? torch::kFloat32 : torch::kFloat64;
  }
}

// The payload (raw bytes of h.count() elements) as a C-order tensor of the array's values.
torch::Tensor to_tensor(const NpyHeader& h, torch::Tensor raw) {
  if (h.order == '>' && h.size > 1) {  // big endian: swap the bytes of every element
    raw = raw.view(torch::kUInt8).view({-1, h.size}).flip(1).contiguous().view(scalar_type(h));
  }
  if (h.kind == 'b')  // any non-zero byte is true, as NumPy reads it; torch needs 0 or 1
    raw = raw.view(torch::kUInt8).ne(0);
  if (h.kind == 'u' && h.size == 2)
    raw = raw.view(torch::kInt16).to(torch::kInt32).bitwise_and(0xFFFF);
  if (!h.fortran) return raw.view(h.shape);
  std::vector<int64_t> rev(h.shape.rbegin(), h.shape.rend());
  std::vector<int64_t> perm;
  for (int64_t i = int64_t(rev.size()) - 1; i >= 0; --i) perm.push_back(i);
  return raw.view(rev).permute(perm).contiguous();
}

// The live mappings of read_npy (start -> size), so that release_mapped_pages touches only them.
std::mutex mapped_mutex;
std::map<uintptr_t, size_t>& mapped() {
  static std::map<uintptr_t, size_t> m;
  return m;
}

void check_payload(const NpyHeader& h, size_t have, const std::string& where) {
  const size_t need = size_t(h.count()) * size_t(h.size);
  if (have < need)
    bad(where, "npy data is truncated (" + std::to_string(have) + " of " + std::to_string(need) +
                   " bytes)");
}

}  // namespace

torch::Tensor parse_npy(const std::string& bytes, const std::string& where) {
  const NpyHeader h = parse_header(bytes, where);
  check_payload(h, bytes.size() - h.data_offset, where);
  auto raw = torch::empty({h.count()}, scalar_type(h));
  if (h.count() > 0)  // an empty tensor's data pointer is null
    std::memcpy(raw.data_ptr(), bytes.data() + h.data_offset, size_t(h.count()) * size_t(h.size));
  return to_tensor(h, raw);
}

torch::Tensor read_npy(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) bad(path, std::string("cannot open (") + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    bad(path, "is not a regular file");
  }
  const size_t size = size_t(st.st_size);
  void* map = size > 0 ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
  ::close(fd);
  if (map == MAP_FAILED) return parse_npy(read_file_bytes(path), path);
  auto unmap = [map, size](void*) {
    {
      std::lock_guard<std::mutex> lock(mapped_mutex);
      mapped().erase(uintptr_t(map));
    }
    ::munmap(map, size);
  };
  const char* base = static_cast<const char*>(map);
  NpyHeader h;
  try {
    h = parse_header(std::string(base, std::min<size_t>(size, (1 << 20) + 12)), path);
    check_payload(h, size - h.data_offset, path);
  } catch (...) {
    ::munmap(map, size);
    throw;
  }
  const bool direct = h.kind == 'f' && h.size == 4 && h.order != '>' && !h.fortran &&
                      h.data_offset % 4 == 0;  // numpy aligns the data to 64 bytes
  if (direct) {                                // zero copy: the tensor owns the mapping
    {
      std::lock_guard<std::mutex> lock(mapped_mutex);
      mapped()[uintptr_t(map)] = size;
    }
    return torch::from_blob(const_cast<char*>(base) + h.data_offset, {h.count()}, unmap,
                            torch::kFloat32)
        .view(h.shape);
  }
  auto raw = torch::empty({h.count()}, scalar_type(h));
  if (h.count() > 0)
    std::memcpy(raw.data_ptr(), base + h.data_offset, size_t(h.count()) * size_t(h.size));
  ::munmap(map, size);
  return to_tensor(h, raw);
}

void release_mapped_pages(const torch::Tensor& t) {
  if (!t.defined() || t.numel() == 0 || !t.is_contiguous()) return;
  const uintptr_t lo = uintptr_t(t.data_ptr()), hi = lo + size_t(t.numel()) * t.element_size();
  std::lock_guard<std::mutex> lock(mapped_mutex);
  auto it = mapped().upper_bound(lo);
  if (it == mapped().begin()) return;
  --it;                                     // the mapping that starts at or before t
  if (hi > it->first + it->second) return;  // t is not (wholly) inside it: not ours
  const uintptr_t page = uintptr_t(::sysconf(_SC_PAGESIZE));
  const uintptr_t a = lo / page * page,
                  b = std::min(it->first + it->second, (hi + page - 1) / page * page);
  // A read-only file mapping: dropped pages are read again from the file when used.
  ::madvise(reinterpret_cast<void*>(a), b - a, MADV_DONTNEED);
}

}  // namespace spikessm

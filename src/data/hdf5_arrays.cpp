#include "spikessm/data/hdf5_arrays.h"

#include <hdf5.h>

#include <cstring>
#include <filesystem>

#include "spikessm/common/error.h"
#include "spikessm/common/isolated_call.h"
#include "spikessm/data/npy.h"

namespace spikessm {
namespace {

constexpr int kReadSeconds = 3600;  // generous: a large file takes long to read

struct Handle {  // closes an HDF5 id
  hid_t id;
  herr_t (*close)(hid_t);
  Handle(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  Handle(const Handle&) = delete;
  ~Handle() {
    if (id >= 0) close(id);
  }
  operator hid_t() const { return id; }
};

// What a dataset is read as: the memory type handed to H5Dread and the tensor's dtype.
struct Layout {
  hid_t memory = -1;
  torch::ScalarType dtype = torch::kFloat32;
  bool boolean = false;  // h5py's bool: an enum of FALSE = 0, TRUE = 1 on int8
};

Layout layout_of(hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  Layout l;
  if (cls == H5T_FLOAT) {
    l.memory = size == 8 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_FLOAT;  // float16: widened by HDF5
    l.dtype = size == 8 ? torch::kFloat64 : torch::kFloat32;
  } else if (cls == H5T_INTEGER) {
    const bool sign = H5Tget_sign(type) == H5T_SGN_2;
    if (sign && size == 1)
      l.memory = H5T_NATIVE_INT8, l.dtype = torch::kInt8;
    else if (sign && size == 2)
      l.memory = H5T_NATIVE_INT16, l.dtype = torch::kInt16;
    else if (sign && size == 4)
      l.memory = H5T_NATIVE_INT32, l.dtype = torch::kInt32;
    else if (!sign && size == 1)
      l.memory = H5T_NATIVE_UINT8, l.dtype = torch::kUInt8;
    else if (!sign && size == 2)
      l.memory = H5T_NATIVE_INT32, l.dtype = torch::kInt32;
    else
      l.memory = H5T_NATIVE_INT64, l.dtype = torch::kInt64;  // int64, uint32, uint64
  } else if (cls == H5T_ENUM && size == 1 && H5Tget_nmembers(type) == 2) {
    l.memory = H5T_NATIVE_UINT8;  // read as the enum's integer values
    l.dtype = torch::kUInt8;
    l.boolean = true;
  } else {
    l.memory = -1;
  }
  return l;
}

// One dataset in the child: [name][dtype][dims][bytes], lengths as 8-byte little-endian.
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(char(v >> (8 * i)));
}

void read_dataset(hid_t file, const std::string& name, const std::string& path, std::string& out) {
  const std::string where = path + " dataset '" + name + "'";
  Handle ds(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (ds.id < 0) throw InputError(where + ": cannot be opened");
  Handle type(H5Dget_type(ds), H5Tclose);
  Handle space(H5Dget_space(ds), H5Sclose);
  if (type.id < 0 || space.id < 0) throw InputError(where + ": damaged header");
  Layout l = layout_of(type);
  if (l.memory < 0) return;  // strings, compounds, references: not arrays spikessm reads
  if (l.boolean) {           // the enum's values must be 0 and 1 (h5py's FALSE and TRUE)
    for (unsigned i = 0; i < 2; ++i) {
      uint8_t v = 0;
      Handle base(H5Tget_super(type), H5Tclose);
      if (H5Tget_member_value(type, i, &v) < 0 || v > 1 || H5Tget_size(base) != 1) return;
    }
  }
  const int nd = H5Sget_simple_extent_ndims(space);
  if (nd < 0 || nd > 8) throw InputError(where + ": " + std::to_string(nd) + " dimensions");
  hsize_t dims[8] = {};
  H5Sget_simple_extent_dims(space, dims, nullptr);
  uint64_t count = 1;
  for (int i = 0; i < nd; ++i) {
    const uint64_t over = uint64_t(kNpyMaxElements) + 1;  // saturate there, no overflow
    count = dims[i] != 0 && count > over / dims[i] ? over : count * dims[i];
  }
  if (count > uint64_t(kNpyMaxElements))
    throw InputError(where + ": more than " + std::to_string(kNpyMaxElements) + " values");
  const size_t elem = torch::elementSize(l.dtype);
  // HDF5 fills what was never written with the fill value: a dataset must be stored, and a
  // compressed one expands at most ~1000-fold (checked before its size is allocated).
  const uint64_t stored = H5Dget_storage_size(ds);
  if (count > 0 && stored == 0) throw InputError(where + ": holds no stored values");
  if (count * elem > stored * 1100 + (1 << 20))
    throw InputError(where + ": claims " + std::to_string(count) + " values from " +
                     std::to_string(stored) + " stored bytes (the file is damaged)");
  std::string data(count * elem, '\0');
  if (count > 0 && H5Dread(ds, l.memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0)
    throw InputError(where +
                     ": cannot be read (damaged, or compressed with a filter other "
                     "than gzip, e.g. h5py's lzf)");
  put_u64(out, name.size());
  out += name;
  out.push_back(char(l.boolean ? int(torch::kBool) : int(l.dtype)));
  out.push_back(char(nd));
  for (int i = 0; i < nd; ++i) put_u64(out, dims[i]);
  put_u64(out, data.size());
  out += data;
}

std::string read_in_child(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become InputErrors, not stderr dumps
  if (H5Fis_hdf5(path.c_str()) <= 0) throw InputError(path + ": not an HDF5 file");
  Handle f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (f.id < 0) throw InputError(path + ": not an HDF5 file (cannot be opened)");
  std::vector<std::string> names;
  auto cb = [](hid_t g, const char* name, const H5L_info_t* info, void* data) -> herr_t {
    H5O_info_t o;
    if (info->type == H5L_TYPE_HARD &&
        H5Oget_info_by_name2(g, name, &o, H5O_INFO_BASIC, H5P_DEFAULT) >= 0 &&
        o.type == H5O_TYPE_DATASET)
      static_cast<std::vector<std::string>*>(data)->push_back(name);
    return 0;
  };
  if (H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, nullptr, cb, &names) < 0)
    throw InputError(path + ": the root group cannot be listed (damaged file)");
  std::string out;
  for (const auto& n : names) read_dataset(f, n, path, out);
  return out;
}

uint64_t get_u64(const std::string& b, size_t& at) {
  if (at + 8 > b.size()) throw std::runtime_error("HDF5 child: short message");
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t(uint8_t(b[at + size_t(i)])) << (8 * i);
  at += 8;
  return v;
}

}  // namespace

std::map<std::string, torch::Tensor> read_hdf5_arrays(const std::string& path) {
  require(std::filesystem::is_regular_file(path), path, "does not exist or is not a file");
  const std::string msg =
      run_isolated([&] { return read_in_child(path); }, path, "HDF5", kReadSeconds);
  std::map<std::string, torch::Tensor> out;
  for (size_t at = 0; at < msg.size();) {
    const uint64_t name_len = get_u64(msg, at);
    if (name_len > msg.size() - at || msg.size() - at - name_len < 2)
      throw std::runtime_error("HDF5 child: short message");
    const std::string name = msg.substr(at, name_len);
    at += name_len;
    const auto dtype = torch::ScalarType(uint8_t(msg[at]));
    const int nd = uint8_t(msg[at + 1]);
    at += 2;
    std::vector<int64_t> dims;
    for (int i = 0; i < nd; ++i) dims.push_back(int64_t(get_u64(msg, at)));
    const uint64_t bytes = get_u64(msg, at);
    if (bytes > msg.size() - at) throw std::runtime_error("HDF5 child: short message");
    const bool boolean = dtype == torch::kBool;
    auto t = torch::empty(dims, boolean ? torch::kUInt8 : dtype);
    if (uint64_t(t.nbytes()) != bytes) throw std::runtime_error("HDF5 child: size mismatch");
    if (bytes > 0) std::memcpy(t.data_ptr(), msg.data() + at, bytes);
    at += bytes;
    out[name] = boolean ? t.ne(0) : t;
  }
  if (out.empty()) throw InputError(path + ": holds no numeric datasets at its root");
  return out;
}

}  // namespace spikessm

#include "spikessm/data/tar_members.h"

#include <cstring>

#include "spikessm/common/error.h"

namespace spikessm {

namespace {

int64_t parse_octal(const char* p, size_t n) {
  int64_t v = 0;
  for (size_t i = 0; i < n && p[i]; ++i)
    if (p[i] >= '0' && p[i] <= '7') v = v * 8 + (p[i] - '0');
  return v;
}

}  // namespace

std::vector<TarMember> tar_members(const std::string& tar, const std::string& what) {
  std::vector<TarMember> out;
  size_t pos = 0;
  while (pos + 512 <= tar.size()) {
    const char* hdr = tar.data() + pos;
    if (hdr[0] == 0) break;  // end-of-archive blocks
    std::string name(hdr, strnlen(hdr, 100));
    const std::string prefix(hdr + 345, strnlen(hdr + 345, 155));
    if (!prefix.empty()) name = prefix + "/" + name;
    const int64_t size = parse_octal(hdr + 124, 12);
    const char type = hdr[156];
    const size_t data = pos + 512;
    require(data + size_t(size) <= tar.size(), what, "truncated tar member " + name);
    pos = data + ((size_t(size) + 511) / 512) * 512;
    if (type == '0' || type == 0) out.push_back({name, data, size_t(size)});
  }
  return out;
}

}  // namespace spikessm

#include "pathfinder_morphology.h"

namespace spikessm::pathfinder_detail {

std::vector<std::pair<int, int>> footprint(const Kernel& k) {
  std::vector<std::pair<int, int>> out;
  const int a = k.size / 2;
  for (int i = 0; i < k.size; ++i)
    for (int j = 0; j < k.size; ++j)
      if (k.k[size_t(i) * k.size + j]) out.push_back({i - a, j - a});
  return out;
}

// cv2.dilate: max over the kernel's footprint; outside pixels are ignored. One pass per
// footprint offset over contiguous row spans (vectorises; max is exact in any order).
Img dilate(const Img& im, const Kernel& k) {
  Img out(im.h, im.w);  // 0 is max's identity here: every image holds values >= 0
  for (const auto& [dy, dx] : footprint(k)) {
    const int y0 = std::max(0, -dy), y1 = std::min(im.h, im.h - dy);
    const int x0 = std::max(0, -dx), x1 = std::min(im.w, im.w - dx);
    for (int y = y0; y < y1; ++y) {
      const float* src = &im.v[size_t(y + dy) * im.w + dx];
      float* dst = &out.v[size_t(y) * im.w];
      for (int x = x0; x < x1; ++x) dst[x] = std::max(dst[x], src[x]);
    }
  }
  return out;
}

float dilate_at(const Img& im, const Kernel& k, int y, int x) {
  const int a = k.size / 2;
  float m = 0;
  for (int i = 0; i < k.size; ++i) {
    const int yy = y + i - a;
    if (yy < 0 || yy >= im.h) continue;
    for (int j = 0; j < k.size; ++j) {
      const int xx = x + j - a;
      if (k.k[size_t(i) * k.size + j] && xx >= 0 && xx < im.w) m = std::max(m, im.at(yy, xx));
    }
  }
  return m;
}

// available(dilate(im, k)) without the float image: a pixel stays free (dilated value <= 0.3)
// exactly when no pixel of its footprint exceeds 0.3, so the dilation runs on bytes.
std::vector<Pt> available_after_dilation(const Img& im, const Kernel& k) {
  std::vector<uint8_t> busy(im.v.size()), hit(im.v.size(), 0);
  for (size_t i = 0; i < im.v.size(); ++i) busy[i] = im.v[i] > 0.3f;
  for (const auto& [dy, dx] : footprint(k)) {
    const int y0 = std::max(0, -dy), y1 = std::min(im.h, im.h - dy);
    const int x0 = std::max(0, -dx), x1 = std::min(im.w, im.w - dx);
    for (int y = y0; y < y1; ++y) {
      const uint8_t* src = &busy[size_t(y + dy) * im.w + dx];
      uint8_t* dst = &hit[size_t(y) * im.w];
      for (int x = x0; x < x1; ++x) dst[x] |= src[x];
    }
  }
  std::vector<Pt> out;
  for (int y = 0; y < im.h; ++y)
    for (int x = 0; x < im.w; ++x)
      if (!hit[size_t(y) * im.w + x]) out.push_back({y, x});
  return out;
}

Kernel disk(int m) {
  Kernel k;
  k.size = 2 * m + 1;
  k.k.assign(size_t(k.size) * k.size, 0);
  for (int y = -m; y <= m; ++y)
    for (int x = -m; x <= m; ++x) k.k[size_t(y + m) * k.size + (x + m)] = x * x + y * y <= m * m;
  return k;
}

std::vector<Pt> available(const Img& m) {
  std::vector<Pt> out;
  for (int y = 0; y < m.h; ++y)
    for (int x = 0; x < m.w; ++x)
      if (m.at(y, x) <= 0.3f) out.push_back({y, x});
  return out;
}

}  // namespace spikessm::pathfinder_detail

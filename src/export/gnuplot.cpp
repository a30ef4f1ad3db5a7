#include "gnuplot.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace spikessm {
namespace fs = std::filesystem;

std::string gnuplot_terminal(bool svg, int width, int height) {
  char buf[160];
  if (svg)
    std::snprintf(buf, sizeof buf, "set terminal svg size %d,%d dynamic font 'Sans,11' background 'white'\n", width, height);
  else
    std::snprintf(buf, sizeof buf, "set terminal pngcairo size %d,%d font 'Sans,10' background 'white'\n", width, height);
  return buf;
}

void run_gnuplot(const std::string& dir, const std::string& name, const std::string& script,
                 const std::vector<std::string>& outputs) {
  const std::string path = dir + "/" + name + ".gp";
  {
    std::ofstream f(path);
    f << script;
    if (!f) throw std::runtime_error(path + ": cannot write the gnuplot script");
  }
  const std::string cmd = "cd '" + dir + "' && gnuplot '" + name + ".gp' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot start gnuplot");
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 127) throw std::runtime_error("gnuplot not found: install Debian's gnuplot-nox (scripts/setup.sh)");
  if (code != 0) throw std::runtime_error("gnuplot failed on " + path + ": " + out);
  for (const auto& o : outputs) {
    const auto f = fs::path(dir) / o;
    if (!fs::exists(f) || fs::file_size(f) == 0)
      throw std::runtime_error("gnuplot did not write " + f.string() + (out.empty() ? "" : ": " + out));
  }
}

}  // namespace spikessm

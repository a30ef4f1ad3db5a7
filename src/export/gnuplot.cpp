#include "gnuplot.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "spikessm/common/subprocess.h"

namespace spikessm {
namespace fs = std::filesystem;

std::string gnuplot_terminal(bool svg, int width, int height) {
  char buf[160];
  if (svg)
    std::snprintf(buf, sizeof buf,
                  "set terminal svg size %d,%d dynamic font 'Sans,11' background 'white'\n", width,
                  height);
  else
    std::snprintf(buf, sizeof buf,
                  "set terminal pngcairo size %d,%d font 'Sans,10' background 'white'\n", width,
                  height);
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
  // No shell: the directory and script name reach gnuplot as they are, whatever they hold.
  ProcessOptions where;
  where.dir = dir;
  const ProcessResult r = run_program({"gnuplot", name + ".gp"}, where);
  if (!r.found)
    throw std::runtime_error("gnuplot not found: install Debian's gnuplot-nox (scripts/setup.sh)");
  if (!r.ok()) throw std::runtime_error("gnuplot failed on " + path + ": " + r.error_line());
  const std::string out = r.err.empty() ? "" : r.error_line();
  for (const auto& o : outputs) {
    const auto f = fs::path(dir) / o;
    if (!fs::exists(f) || fs::file_size(f) == 0)
      throw std::runtime_error("gnuplot did not write " + f.string() +
                               (out.empty() ? "" : ": " + out));
  }
}

}  // namespace spikessm

#pragma once
// Runs a gnuplot script (Debian gnuplot-nox) and checks that it produced its outputs.
#include <string>
#include <vector>

namespace spikessm {

// Writes script to dir/name.gp and runs gnuplot on it in dir; runtime_error with gnuplot's
// message when it fails or an expected output is missing or empty.
void run_gnuplot(const std::string& dir, const std::string& name, const std::string& script,
                 const std::vector<std::string>& outputs);

// Terminal lines for PNG (pngcairo) or SVG at a given size in pixels.
std::string gnuplot_terminal(bool svg, int width, int height);

}  // namespace spikessm

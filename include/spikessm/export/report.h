#pragma once
// `spikessm report`: an HTML page with figures (gnuplot, PNG and optionally SVG) for one
// trained checkpoint: training curves from its metrics.jsonl, per-layer and per-neuron
// spiking rates, a spike raster and membrane traces of one test sample, and the
// operation/energy table (papers.md section 5).
#include <string>
#include <vector>

namespace spikessm {

struct ReportOptions {
  std::string checkpoint;
  std::string out_dir;
  std::string metrics;             // metrics.jsonl; empty: next to the checkpoint
  std::vector<std::string> sets;   // config overrides, e.g. data.dir=...
  int64_t samples = 2000;          // test samples for rates and the energy table (0: all)
  int64_t sample_index = 0;        // the test sample drawn as raster and traces
  bool svg = false;                // also write SVG figures
};

struct ReportResult {
  std::string html;                // path of index.html
  std::vector<std::string> figures;
  double accuracy = 0, mean_rate = 0;
};

// InputError for a bad checkpoint, data or output directory (nothing is written then);
// std::runtime_error when gnuplot is missing or fails.
ReportResult write_report(const ReportOptions& options);

}  // namespace spikessm

#include "spikessm/data/data_options.h"

namespace spikessm {

DataOptions data_options(const Config& cfg) {
  DataOptions o;
  o.dataset = cfg.get_string("data.dataset");
  o.image_layout = cfg.get_string("data.layout") == "image";
  o.dir = cfg.get_string("data.dir");
  o.train_limit = cfg.get_int("data.train_limit");
  o.test_limit = cfg.get_int("data.test_limit");
  o.max_length = cfg.get_int("data.max_length");
  o.read_limit = cfg.get_int("data.read_limit");
  o.split_seed = uint64_t(cfg.get_int("data.split_seed"));
  o.pool = cfg.get_int("data.pool");
  o.permute = cfg.get_bool("data.permute");
  o.permutation_seed = uint64_t(cfg.get_int("data.permutation_seed"));
  o.train_file = cfg.get_string("data.train");
  o.val_file = cfg.get_string("data.val");
  o.test_file = cfg.get_string("data.test");
  o.standardize = cfg.get_bool("data.standardize");
  return o;
}

}  // namespace spikessm

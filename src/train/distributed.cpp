// c10d (TCPStore + ProcessGroupGloo) data parallelism and the local multi-process launcher.
// Debian's libtorch 1.13 is built with USE_DISTRIBUTED and Gloo; its c10d headers guard the
// Gloo process group behind this macro.
#define USE_C10D_GLOO 1
#include "spikessm/train/distributed.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "spikessm/common/error.h"
#include "spikessm/common/checkpoint_format.h"

namespace spikessm {

void parse_master(const std::string& text, const std::string& flag, std::string& addr, int& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw InputError(flag + " " + text + ": expected ADDR:PORT, e.g. 10.0.0.1:29500");
  addr = text.substr(0, colon);
  const std::string p = text.substr(colon + 1);
  char* end = nullptr;
  const long v = std::strtol(p.c_str(), &end, 10);
  if (*end != '\0' || v < 1 || v > 65535)
    throw InputError(flag + " " + text + ": port '" + p + "' is not a number in 1..65535");
  port = int(v);
}

struct Distributed::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  bool failed = false;
};

namespace {
std::string first_line(const std::string& s) {
  auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}
}  // namespace

Distributed::Distributed(const DistOptions& o)
    : rank_(o.rank), world_(o.world_size), timeout_s_(o.timeout_s) {
  require(world_ >= 1, "--world-size", std::to_string(world_) + " (expected >= 1)");
  require(rank_ >= 0 && rank_ < world_, "--rank",
          std::to_string(rank_) + " is not in 0.." + std::to_string(world_ - 1));
  if (world_ == 1) return;
  require(!o.master.empty(), "--master", "required when --world-size > 1 (ADDR:PORT of rank 0)");
  std::string addr;
  int port = 0;
  parse_master(o.master, "--master", addr, port);
  impl_ = std::make_unique<Impl>();
  const auto timeout = std::chrono::milliseconds(int64_t(timeout_s_ * 1000));
  try {
    c10d::TCPStoreOptions so;
    so.port = uint16_t(port);
    so.isServer = rank_ == 0;
    so.numWorkers = size_t(world_);
    so.waitWorkers = true;
    so.timeout = timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(addr, so);
    auto po = c10d::ProcessGroupGloo::Options::create(timeout);
    // Bind Gloo to the interface that reaches the master: loopback for local runs.
    const bool loopback = addr == "127.0.0.1" || addr == "localhost";
    po->devices.push_back(
        loopback ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
        : std::getenv("GLOO_SOCKET_IFNAME")
            ? c10d::ProcessGroupGloo::createDeviceForInterface(std::getenv("GLOO_SOCKET_IFNAME"))
            : c10d::ProcessGroupGloo::createDefaultDevice());
    po->threads = 1;  // the work is one collective at a time; compute owns the cores
    impl_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, rank_, world_, po);
  } catch (const std::exception& e) {
    impl_->failed = true;
    throw DistributedError("rank " + std::to_string(rank_) + ": rendezvous with " + o.master +
                           " failed within " + std::to_string(int(timeout_s_)) + " s (" +
                           first_line(e.what()) + ")");
  }
}

Distributed::~Distributed() {
  // After a failure the group's threads may wait on a dead peer: leak it instead of joining.
  if (impl_ && impl_->failed) {
    impl_->pg.release();
    impl_->store.release();
  }
}

void Distributed::run(const std::string& what, const std::function<void()>& op) {
  try {
    op();
  } catch (const std::exception& e) {
    impl_->failed = true;
    throw DistributedError("rank " + std::to_string(rank_) + ": " + what +
                           " failed: another rank exited or did not answer within " +
                           std::to_string(int(timeout_s_)) + " s (" + first_line(e.what()) + ")");
  }
}

void Distributed::broadcast_module(torch::nn::Module& module) {
  if (world_ == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> ts;
  for (auto& p : module.parameters()) ts.push_back(p);
  for (auto& b : module.buffers()) ts.push_back(b);
  run("broadcast of the initial parameters", [&] {
    for (auto& t : ts) {
      std::vector<torch::Tensor> v{t.is_contiguous() ? t : t.contiguous()};
      impl_->pg->broadcast(v, c10d::BroadcastOptions{})->wait();
      if (!t.is_contiguous()) t.copy_(v[0]);
    }
  });
}

void Distributed::check_parameters_equal(torch::nn::Module& module, const std::string& when) {
  if (world_ == 1) return;
  uint32_t crc = 0;
  std::string all;
  for (auto& p : module.parameters()) {
    auto c = p.detach().contiguous();
    all.append(static_cast<const char*>(c.data_ptr()), size_t(c.nbytes()));
  }
  crc = crc32_of(all.data(), all.size());
  // max(h) == -max(-h) exactly when every rank holds the same h.
  auto t = torch::tensor({int64_t(crc), -int64_t(crc)}, torch::kInt64);
  run("parameter check " + when, [&] {
    std::vector<torch::Tensor> v{t};
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp::MAX;
    impl_->pg->allreduce(v, o)->wait();
  });
  if (t[0].item<int64_t>() != -t[1].item<int64_t>())
    throw DistributedError("rank " + std::to_string(rank_) + ": parameters differ between ranks " +
                           when + " (a bug, or ranks built with different configs)");
}

void Distributed::allreduce_gradients(const std::vector<torch::Tensor>& params,
                                      torch::Tensor& stats) {
  if (world_ == 1) return;
  torch::NoGradGuard no_grad;
  // Buckets of consecutive parameters up to kBucketBytes each; all are float32 here.
  std::vector<std::vector<size_t>> buckets(1);
  int64_t bytes = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    const int64_t b = params[i].numel() * int64_t(params[i].element_size());
    if (!buckets.back().empty() && bytes + b > kBucketBytes) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().push_back(i);
    bytes += b;
  }
  std::vector<torch::Tensor> flat;
  for (const auto& bucket : buckets) {
    std::vector<torch::Tensor> parts;
    for (size_t i : bucket) {
      const auto& g = params[i].grad();
      parts.push_back(g.defined() ? g.reshape(-1)
                                  : torch::zeros({params[i].numel()}, params[i].options()));
    }
    flat.push_back(torch::cat(parts));
  }
  run("gradient allreduce", [&] {
    // Start every bucket, then wait: Gloo overlaps the transfers of later buckets.
    std::vector<c10::intrusive_ptr<c10d::Work>> work;
    for (auto& f : flat) {
      std::vector<torch::Tensor> v{f};
      work.push_back(impl_->pg->allreduce(v));
    }
    std::vector<torch::Tensor> sv{stats};
    work.push_back(impl_->pg->allreduce(sv));
    for (auto& w : work) w->wait();
  });
  for (size_t k = 0; k < buckets.size(); ++k) {
    flat[k].div_(double(world_));
    int64_t off = 0;
    for (size_t i : buckets[k]) {
      auto& p = params[i];
      const int64_t n = p.numel();
      auto avg = flat[k].narrow(0, off, n).view(p.sizes());
      if (p.grad().defined())
        p.mutable_grad().copy_(avg);
      else
        p.mutable_grad() = avg.clone();
      off += n;
    }
  }
}

void Distributed::allreduce_sum(torch::Tensor& t, const std::string& what) {
  if (world_ == 1) return;
  run(what, [&] {
    std::vector<torch::Tensor> v{t};
    impl_->pg->allreduce(v)->wait();
  });
}

std::string Distributed::broadcast_bytes(const std::string& bytes, const std::string& what) {
  if (world_ == 1) return bytes;
  auto n = torch::tensor({int64_t(bytes.size())}, torch::kInt64);
  std::string out;
  run("broadcast of " + what, [&] {
    std::vector<torch::Tensor> v{n};
    impl_->pg->broadcast(v, c10d::BroadcastOptions{})->wait();
    auto buf = torch::empty({n.item<int64_t>()}, torch::kUInt8);
    if (rank_ == 0) std::memcpy(buf.data_ptr(), bytes.data(), bytes.size());
    std::vector<torch::Tensor> b{buf};
    if (buf.numel() > 0) impl_->pg->broadcast(b, c10d::BroadcastOptions{})->wait();
    out.assign(static_cast<const char*>(buf.data_ptr()), size_t(buf.numel()));
  });
  return out;
}

int free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error(std::string("no free local port: ") + std::strerror(errno));
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

int launch_local_workers(int nproc, const std::vector<std::string>& argv, int threads_per_rank) {
  const std::string master = "127.0.0.1:" + std::to_string(free_local_port());
  std::vector<pid_t> pids;
  for (int r = 0; r < nproc; ++r) {
    std::vector<std::string> a = argv;
    a.insert(a.end(), {"--rank", std::to_string(r), "--world-size", std::to_string(nproc),
                       "--master", master, "--threads", std::to_string(threads_per_rank)});
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
      std::vector<char*> cargv;
      for (auto& s : a) cargv.push_back(s.data());
      cargv.push_back(nullptr);
      ::execv("/proc/self/exe", cargv.data());
      std::fprintf(stderr, "error: rank %d: exec failed: %s\n", r, std::strerror(errno));
      ::_exit(127);
    }
    pids.push_back(pid);
  }
  int result = 0;
  size_t alive = pids.size();
  bool stopping = false;
  auto deadline = std::chrono::steady_clock::time_point::max();
  while (alive > 0) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, stopping ? WNOHANG : 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid == 0) {  // stopping: give the peers a grace period, then SIGKILL
      if (std::chrono::steady_clock::now() > deadline)
        for (pid_t p : pids)
          if (p > 0) ::kill(p, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if (pid < 0) break;
    int rank = -1;
    for (size_t r = 0; r < pids.size(); ++r)
      if (pids[r] == pid) rank = int(r), pids[r] = -1;
    if (rank < 0) continue;
    --alive;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code != 0 && result == 0) {
      result = WIFEXITED(status) ? code : 1;
      if (WIFSIGNALED(status))
        std::fprintf(stderr, "error: rank %d was killed by signal %d; stopping the other ranks\n",
                     rank, WTERMSIG(status));
      for (pid_t p : pids)
        if (p > 0) ::kill(p, SIGTERM);
      stopping = true;
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    }
  }
  return result;
}

}  // namespace spikessm

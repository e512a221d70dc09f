#include "cli/preflight.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/thread_pool.h"
#include "io/calibration_text.h"

namespace lieq::cli {
namespace fs = std::filesystem;
namespace {

std::string Gigabytes(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f GB", static_cast<double>(bytes) / 1e9);
  return text;
}

// A "Key:   123 kB" line of a /proc file, in bytes (0 when absent).
uint64_t ProcKilobytes(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size() + 1, key + ":") != 0) continue;
    return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10) * 1024;
  }
  return 0;
}

}  // namespace

Status PreflightOutputFile(const std::string& path, bool force, uint64_t expected_bytes) {
  return CheckOutputPath(path, OutputKind::kFile, force, expected_bytes);
}

Status PreflightOutputFolder(const std::string& path, bool force, uint64_t expected_bytes) {
  return CheckOutputPath(path, OutputKind::kFolder, force, expected_bytes);
}

Status PreflightInputFile(const std::string& path, const std::string& flag,
                          const std::string& hint) {
  if (path.empty()) return InvalidArgument(flag + " is empty");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    std::string message = flag + " " + path + ": " +
                          (err == ENOENT ? std::string("no such file") : std::strerror(err));
    if (!hint.empty()) message += "; " + hint;
    return err == ENOENT ? NotFound(message) : IoError(message);
  }
  if (S_ISDIR(st.st_mode)) return InvalidArgument(flag + " " + path + ": is a folder, not a file");
  if (::access(path.c_str(), R_OK) != 0) {
    return IoError(flag + " " + path + ": cannot be read: " + std::strerror(errno));
  }
  return Status::Ok();
}

Status PreflightCalibration(const std::string& path, const std::string& flag, int64_t max_docs,
                            const std::string& hint) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return NotFound(flag + " " + path + ": no such file or folder" +
                    (hint.empty() ? "" : "; " + hint));
  }
  const Result<std::vector<std::string>> docs = ReadCalibrationDocuments(path, max_docs);
  if (!docs.ok()) return docs.status().WithContext(flag);
  if (docs->empty()) return InvalidArgument(flag + " " + path + ": holds no text");
  return Status::Ok();
}

Status CheckCacheOutsideOutput(const std::string& cache_dir, const std::string& out) {
  if (cache_dir.empty() || out.empty()) return Status::Ok();
  std::error_code ec;
  const std::string out_path = fs::weakly_canonical(fs::absolute(out, ec), ec).string() + "/";
  const std::string cache_path =
      fs::weakly_canonical(fs::absolute(cache_dir, ec), ec).string() + "/";
  if (cache_path.compare(0, out_path.size(), out_path) == 0) {
    return InvalidArgument("--cache-dir " + cache_dir + " lies inside the output " + out +
                           ", which is replaced when the run ends; put it elsewhere");
  }
  return Status::Ok();
}

Status PreflightModelPath(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return NotFound(path + ": no such model folder or file (" + std::strerror(errno) + ")");
  }
  return Status::Ok();
}

Status CheckNotQuantized(const Model& model, const std::string& path, const std::string& command) {
  ModelWeights& weights = const_cast<ModelWeights&>(model.weights);
  std::string found;
  int64_t count = 0;
  ForEachTensor(model.config, weights, [&](TensorSlot& slot) {
    bool packed = false;
    if (slot.is_linear && slot.block >= 0) {
      const BlockWeights& block = model.weights.blocks[static_cast<size_t>(slot.block)];
      for (Projection p : kAllProjections) {
        if (&block.linear(p).w == slot.view) packed = block.linear(p).is_packed();
      }
    }
    if (!IsQuantized(slot.view->dtype) && !packed) return;
    if (found.empty()) {
      found = slot.hf_name + " is " +
              (packed ? std::string("packed (lieq group format)")
                      : std::string(Name(slot.view->dtype)));
    }
    ++count;
  });
  if (found.empty()) return Status::Ok();
  return InvalidArgument(path + ": the model is already quantized (" + found + ", " +
                         std::to_string(count) + " quantized tensors); " + command +
                         " needs a model with F32, F16 or BF16 weights");
}

Status CheckGroupSize(const Model& model, int group_size, const std::string& flag) {
  if (group_size != 32 && group_size != 64 && group_size != 128) {
    return InvalidArgument(flag + " " + std::to_string(group_size) +
                           " is not supported (32, 64, 128)");
  }
  ModelWeights& weights = const_cast<ModelWeights&>(model.weights);
  Status status;
  ForEachTensor(model.config, weights, [&](TensorSlot& slot) {
    if (!status.ok() || !slot.is_linear || slot.shape.size() != 2) return;
    if (slot.shape[1] % group_size == 0) return;
    status = InvalidArgument(slot.hf_name + " has " + std::to_string(slot.shape[1]) +
                             " input columns, not a multiple of " + flag + " " +
                             std::to_string(group_size));
  });
  return status;
}

Result<int64_t> ResolveContext(int64_t requested, int64_t preferred, const ModelConfig& config,
                               const std::string& flag, bool allow_long) {
  const int64_t context = config.max_position_embeddings;
  if (requested <= 0) return context > 0 ? std::min(preferred, context) : preferred;
  if (context > 0 && requested > context) {
    if (!allow_long) {
      return InvalidArgument(flag + " " + std::to_string(requested) +
                             " exceeds the model's context of " + std::to_string(context) +
                             " tokens (max_position_embeddings); --allow-long-context runs it "
                             "anyway");
    }
    std::fprintf(stderr,
                 "lieq: warning: %s %lld exceeds the model's context of %lld tokens; positions "
                 "past it were never trained and results may be meaningless\n",
                 flag.c_str(), static_cast<long long>(requested), static_cast<long long>(context));
  }
  return requested;
}

uint64_t ModelFileBytes(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    const uintmax_t size = fs::file_size(path, ec);
    return ec ? 0 : static_cast<uint64_t>(size);
  }
  uint64_t total = 0;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".safetensors") continue;
    const uintmax_t size = fs::file_size(it->path(), ec);
    if (!ec) total += static_cast<uint64_t>(size);
  }
  return total;
}

MemoryNeed RuntimeNeed(const ModelConfig& c, int64_t positions, int64_t logit_rows) {
  const auto n = static_cast<uint64_t>(std::max<int64_t>(positions, 1));
  const uint64_t kv = 2 * static_cast<uint64_t>(c.num_layers) * n *
                      static_cast<uint64_t>(c.kv_dim()) * sizeof(float);
  const uint64_t activations = n *
                               static_cast<uint64_t>(3 * c.hidden_size + 2 * c.q_dim() +
                                                     2 * c.kv_dim() + 2 * c.intermediate_size) *
                               sizeof(float);
  const uint64_t logits =
      static_cast<uint64_t>(std::max<int64_t>(logit_rows, 1)) * c.vocab_size * sizeof(float);
  MemoryNeed need;
  need.anon = kv + activations + logits;
  need.what = "KV cache " + Gigabytes(kv) + ", activations " + Gigabytes(activations) +
              ", logits " + Gigabytes(logits);
  return need;
}

Status CheckMemory(const MemoryNeed& need, const std::string& command) {
  const std::string detail = " (" + need.what + ")";
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    const uint64_t used = ProcKilobytes("/proc/self/status", "VmSize");
    const uint64_t cap = static_cast<uint64_t>(limit.rlim_cur);
    const uint64_t left = cap > used ? cap - used : 0;
    if (need.mapped + need.anon > left) {
      return InvalidArgument(command + " needs at least " + Gigabytes(need.mapped + need.anon) +
                             " of address space" + detail + " but the limit (ulimit -v " +
                             std::to_string(cap / 1024) + ") leaves " + Gigabytes(left));
    }
  }
  const uint64_t ram = ProcKilobytes("/proc/meminfo", "MemTotal");
  const uint64_t swap = ProcKilobytes("/proc/meminfo", "SwapTotal");
  if (ram > 0 && need.anon > ram + swap) {
    return InvalidArgument(command + " needs at least " + Gigabytes(need.anon) +
                           " of working memory" + detail + " but this machine has " +
                           Gigabytes(ram) + " of RAM and " + Gigabytes(swap) + " of swap");
  }
  return Status::Ok();
}

int CappedThreadCount(int requested) {
  const int cores = DefaultThreadCount();
  if (requested <= 0) return cores;
  const int cap = std::max(4 * cores, 4);
  if (requested > cap) {
    std::fprintf(stderr, "lieq: warning: -t %d capped at %d (4 x %d cores)\n", requested, cap,
                 cores);
    return cap;
  }
  return requested;
}

}  // namespace lieq::cli

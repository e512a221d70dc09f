// Checks every subcommand makes before its work (loading weights, tokenizing a corpus, running
// the model, quantizing), so that a run that would fail fails at once, naming the flag and the
// problem (docs/RELIABILITY.md, "Checks before work"). One place for all commands.
#pragma once

#include <cstdint>
#include <string>

#include "core/output_path.h"
#include "core/status.h"
#include "model/model.h"

namespace lieq::cli {

// -o FILE: parent exists and accepts files; absent, or a regular file and --force; room for
// `expected_bytes` when known (core/output_path.h).
Status PreflightOutputFile(const std::string& path, bool force, uint64_t expected_bytes = 0);

// -o DIR: as above for a folder (replaced only when lieq wrote it, core/output_path.h).
Status PreflightOutputFolder(const std::string& path, bool force, uint64_t expected_bytes = 0);

// An input file given by `flag` (e.g. "--text"): exists, is readable, is not a folder.
// `hint` is appended when it is missing (say how to give it when it was a default).
Status PreflightInputFile(const std::string& path, const std::string& flag,
                          const std::string& hint = "");

// A calibration input given by `flag`: readable and parsed (io/calibration_text.h) with at most
// `max_docs` documents (0 = all); `hint` as above.
Status PreflightCalibration(const std::string& path, const std::string& flag, int64_t max_docs,
                            const std::string& hint = "");

// --cache-dir must not lie inside an output folder, which is replaced when the run ends.
Status CheckCacheOutsideOutput(const std::string& cache_dir, const std::string& out);

// A model path: a folder or a file that exists (before its weights are mapped).
Status PreflightModelPath(const std::string& path);

// For commands that read float weights (quantize, convert): refuses a model that is already
// quantized, naming a tensor and its type.
Status CheckNotQuantized(const Model& model, const std::string& path, const std::string& command);

// Every quantized linear layer's input columns split into groups of `group_size`.
Status CheckGroupSize(const Model& model, int group_size, const std::string& flag);

// The window / sequence length to use: `requested` when given (> 0), else `preferred` capped at
// the model's max_position_embeddings. A request past the model's context is an error unless
// `allow_long` (then a warning on stderr).
Result<int64_t> ResolveContext(int64_t requested, int64_t preferred, const ModelConfig& config,
                               const std::string& flag, bool allow_long);

// Memory a run needs: `mapped` bytes of model files (address space only) and `anon` bytes of
// working memory (at least; the dominant terms).
struct MemoryNeed {
  uint64_t mapped = 0;
  uint64_t anon = 0;
  std::string what;  // "model files 1.2 GB, KV cache 0.3 GB, ..."
};

// Bytes of the model's weight files (a folder's *.safetensors, or the GGUF file).
uint64_t ModelFileBytes(const std::string& path);

// Working memory of a forward pass over `positions` tokens with a KV cache of that length,
// plus `logit_rows` rows of logits.
MemoryNeed RuntimeNeed(const ModelConfig& config, int64_t positions, int64_t logit_rows);

// Refuses, with the numbers, when `need` cannot fit: the address space left under RLIMIT_AS
// (ulimit -v) for mapped + anon, or the machine's RAM + swap for anon.
Status CheckMemory(const MemoryNeed& need, const std::string& command);

// The thread count to use for `requested` (0 = all cores), capped at 4 × the cores with a
// warning.
int CappedThreadCount(int requested);

}  // namespace lieq::cli

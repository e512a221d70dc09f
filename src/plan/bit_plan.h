// BitPlan: one bit-width per transformer block, the value a planner produces and a quantizer
// consumes. Bits are data: nothing downstream decides widths on its own.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"
#include "model/config.h"

namespace lieq {

struct BitPlan {
  std::string model;              // the model the plan was made for (informational)
  int64_t num_blocks = 0;         // L; must equal the model's num_layers
  std::vector<int> bits;          // [L] width of every linear layer of block l
  std::vector<int> candidates;    // widths the planner chose from, e.g. {2, 4}
  int group_size = 128;           // quantization group along the input dimension
  double budget = 0;              // requested average bits over block linear weights (0: none)
  std::string rank_by;            // the signal: proxy | ppl | combined | kl | random |
                                  // first-last | uniform | manual
  std::string rule;               // the allocation rule: paper | optimal (planner.h); may be empty
  std::string cost;               // the optimal rule's per-block cost, e.g. "measured kl gptq g128"
  std::vector<int> rank;          // block indices, most deserving first (may be empty)
  uint64_t seed = 0;              // for rank_by == random
  double avg_bits_linear = 0;     // paper's convention: over block linear weights only
  double avg_bits_file = 0;       // over every weight of the file, incl. scale/zero overheads
  std::string diagnostics;        // the diagnostics file the ranking came from, if any
  std::string calibration;        // the calibration text used (a path or the built-in's name)
  int group_size_requested = 0;   // the group asked for when it did not fit the model (0: none)
};

// The widths this build quantizes to.
inline constexpr int kSupportedBits[] = {2, 3, 4, 8};
inline constexpr int kSupportedGroupSizes[] = {32, 64, 128};

nlohmann::json BitPlanToJson(const BitPlan& plan);
// `source` names the file in error messages ("plan.json: bits[3] = 5 is not supported").
Result<BitPlan> BitPlanFromJson(const nlohmann::json& json, const std::string& source);
Result<BitPlan> ReadBitPlan(const std::string& path);
// Atomic (temporary file, then rename); refuses to overwrite unless `force`.
Status WriteBitPlan(const BitPlan& plan, const std::string& path, bool force);

// Checks the plan against a model: block count, supported widths, group size dividing every
// linear layer's input dimension.
Status ValidateBitPlan(const BitPlan& plan, const ModelConfig& config);

// The group size to use for `requested` on this model: `requested` when it divides every linear
// layer's input dimension, else the largest of kSupportedGroupSizes that does (preferring those
// below `requested`); 0 when none does.
int FitGroupSize(const ModelConfig& config, int requested);

// A plan giving every block the same width.
BitPlan UniformBitPlan(const ModelConfig& config, int bits, int group_size);

}  // namespace lieq

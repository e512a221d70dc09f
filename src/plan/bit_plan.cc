#include "plan/bit_plan.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"

namespace lieq {
namespace {

bool Contains(std::span<const int> values, int v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// Exact conversions from JSON: integers must be JSON integers in T's range (never a float
// cast or a wrap-around, which would turn 4294967298 into 2), floats any JSON number.
bool Convert(const nlohmann::json& j, std::string& out) {
  if (!j.is_string()) return false;
  out = j.get<std::string>();
  return true;
}
bool Convert(const nlohmann::json& j, double& out) {
  if (!j.is_number()) return false;
  out = j.get<double>();
  return true;
}
template <typename T>
  requires std::is_integral_v<T>
bool Convert(const nlohmann::json& j, T& out) {
  if (j.is_number_unsigned()) {
    const uint64_t u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
    out = static_cast<T>(u);
    return true;
  }
  if (!j.is_number_integer()) return false;
  const int64_t i = j.get<int64_t>();
  if (!std::in_range<T>(i)) return false;
  out = static_cast<T>(i);
  return true;
}
template <typename T>
bool Convert(const nlohmann::json& j, std::vector<T>& out) {
  if (!j.is_array()) return false;
  std::vector<T> values(j.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!Convert(j[i], values[i])) return false;
  }
  out = std::move(values);
  return true;
}

// Reads json[key] into `out` when present; a present value of the wrong type is an error.
template <typename T>
Status ReadField(const nlohmann::json& json, const char* key, T& out, bool required) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) {
    if (required) return InvalidArgument(std::string("missing field \"") + key + "\"");
    return Status::Ok();
  }
  if (!Convert(*it, out)) {
    return InvalidArgument(std::string("field \"") + key +
                           "\" has the wrong type or is out of range");
  }
  return Status::Ok();
}

}  // namespace

nlohmann::json BitPlanToJson(const BitPlan& plan) {
  nlohmann::json j{
      {"format", "lieq-bitplan"},
      {"version", 1},
      {"model", plan.model},
      {"num_blocks", plan.num_blocks},
      {"bits", plan.bits},
      {"candidates", plan.candidates},
      {"group_size", plan.group_size},
      {"budget", plan.budget},
      {"rank_by", plan.rank_by},
      {"rule", plan.rule},
      {"cost", plan.cost},
      {"rank", plan.rank},
      {"seed", plan.seed},
      {"avg_bits_linear", plan.avg_bits_linear},
      {"avg_bits_file", plan.avg_bits_file},
      {"diagnostics", plan.diagnostics},
  };
  if (!plan.calibration.empty()) j["calibration"] = plan.calibration;
  if (plan.group_size_requested != 0) j["group_size_requested"] = plan.group_size_requested;
  return j;
}

Result<BitPlan> BitPlanFromJson(const nlohmann::json& json, const std::string& source) {
  auto fail = [&](const Status& s) { return s.WithContext(source); };
  if (!json.is_object()) return fail(InvalidArgument("a BitPlan must be a JSON object"));
  std::string format;
  if (Status s = ReadField(json, "format", format, true); !s.ok()) return fail(s);
  if (format != "lieq-bitplan") {
    return fail(InvalidArgument("\"format\" is \"" + format + "\", expected \"lieq-bitplan\""));
  }
  int version = 0;
  if (Status s = ReadField(json, "version", version, true); !s.ok()) return fail(s);
  if (version != 1) {
    return fail(Unimplemented("BitPlan version " + std::to_string(version) + " (this build reads 1)"));
  }
  BitPlan plan;
  Status s;
  if (s = ReadField(json, "num_blocks", plan.num_blocks, true); !s.ok()) return fail(s);
  if (s = ReadField(json, "bits", plan.bits, true); !s.ok()) return fail(s);
  if (s = ReadField(json, "model", plan.model, false); !s.ok()) return fail(s);
  if (s = ReadField(json, "candidates", plan.candidates, false); !s.ok()) return fail(s);
  if (s = ReadField(json, "group_size", plan.group_size, false); !s.ok()) return fail(s);
  if (s = ReadField(json, "budget", plan.budget, false); !s.ok()) return fail(s);
  if (s = ReadField(json, "rank_by", plan.rank_by, false); !s.ok()) return fail(s);
  if (s = ReadField(json, "rule", plan.rule, false); !s.ok()) return fail(s);
  if (s = ReadField(json, "cost", plan.cost, false); !s.ok()) return fail(s);
  if (s = ReadField(json, "rank", plan.rank, false); !s.ok()) return fail(s);
  if (s = ReadField(json, "seed", plan.seed, false); !s.ok()) return fail(s);
  if (s = ReadField(json, "avg_bits_linear", plan.avg_bits_linear, false); !s.ok()) return fail(s);
  if (s = ReadField(json, "avg_bits_file", plan.avg_bits_file, false); !s.ok()) return fail(s);
  if (s = ReadField(json, "diagnostics", plan.diagnostics, false); !s.ok()) return fail(s);
  if (s = ReadField(json, "calibration", plan.calibration, false); !s.ok()) return fail(s);
  if (s = ReadField(json, "group_size_requested", plan.group_size_requested, false); !s.ok()) {
    return fail(s);
  }

  if (plan.num_blocks <= 0 || plan.num_blocks > 4096) {
    return fail(InvalidArgument("num_blocks = " + std::to_string(plan.num_blocks) +
                                " is out of range"));
  }
  if (static_cast<int64_t>(plan.bits.size()) != plan.num_blocks) {
    return fail(InvalidArgument("\"bits\" has " + std::to_string(plan.bits.size()) +
                                " entries but num_blocks is " + std::to_string(plan.num_blocks)));
  }
  for (size_t l = 0; l < plan.bits.size(); ++l) {
    if (!Contains(kSupportedBits, plan.bits[l])) {
      return fail(InvalidArgument("bits[" + std::to_string(l) + "] = " +
                                  std::to_string(plan.bits[l]) +
                                  " is not a supported width (2, 3, 4, 8)"));
    }
  }
  if (!Contains(kSupportedGroupSizes, plan.group_size)) {
    return fail(InvalidArgument("group_size " + std::to_string(plan.group_size) +
                                " is not supported (32, 64, 128)"));
  }
  for (int b : plan.rank) {
    if (b < 0 || b >= plan.num_blocks) {
      return fail(InvalidArgument("rank names block " + std::to_string(b) + " of " +
                                  std::to_string(plan.num_blocks)));
    }
  }
  return plan;
}

Result<BitPlan> ReadBitPlan(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot open the BitPlan file");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json json = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return InvalidArgument(path + ": not valid JSON");
  return BitPlanFromJson(json, path);
}

Status WriteBitPlan(const BitPlan& plan, const std::string& path, bool force) {
  WriteOptions options;
  options.overwrite = force;
  return WriteTextFileAtomically(path, BitPlanToJson(plan).dump(2) + "\n", options);
}

Status ValidateBitPlan(const BitPlan& plan, const ModelConfig& config) {
  if (plan.num_blocks != config.num_layers) {
    return InvalidArgument("the plan has " + std::to_string(plan.num_blocks) +
                           " blocks but the model has " + std::to_string(config.num_layers));
  }
  const int64_t inputs[] = {config.hidden_size, config.q_dim(), config.intermediate_size};
  for (int64_t in : inputs) {
    if (in % plan.group_size != 0) {
      return InvalidArgument("group size " + std::to_string(plan.group_size) +
                             " does not divide a linear layer's input dimension " +
                             std::to_string(in));
    }
  }
  return Status::Ok();
}

namespace {

bool DividesEveryInput(const ModelConfig& config, int group_size) {
  for (int64_t in : {config.hidden_size, config.q_dim(), config.intermediate_size}) {
    if (group_size <= 0 || in % group_size != 0) return false;
  }
  return true;
}

}  // namespace

int FitGroupSize(const ModelConfig& config, int requested) {
  if (DividesEveryInput(config, requested)) return requested;
  int below = 0, any = 0;
  for (int g : kSupportedGroupSizes) {
    if (!DividesEveryInput(config, g)) continue;
    any = std::max(any, g);
    if (g < requested) below = std::max(below, g);
  }
  return below > 0 ? below : any;
}

BitPlan UniformBitPlan(const ModelConfig& config, int bits, int group_size) {
  BitPlan plan;
  plan.num_blocks = config.num_layers;
  plan.bits.assign(config.num_layers, bits);
  plan.candidates = {bits};
  plan.group_size = group_size;
  plan.budget = bits;
  plan.rank_by = "uniform";
  plan.avg_bits_linear = bits;
  return plan;
}

}  // namespace lieq

#include "io/hf_config.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <type_traits>

namespace lieq {
namespace {

using json = nlohmann::json;

// Llama-3.1's "llama3" rope scaling as per-frequency divisors (transformers'
// _compute_llama3_parameters): long wavelengths are slowed by `factor`, short ones kept, and
// the band between is interpolated smoothly.
std::vector<float> Llama3FreqFactors(const ModelConfig& c) {
  const RopeScaling& s = c.rope_scaling;
  const double low_freq_wavelen = s.original_max_position_embeddings / s.low_freq_factor;
  const double high_freq_wavelen = s.original_max_position_embeddings / s.high_freq_factor;
  std::vector<float> factors;
  for (int64_t i = 0; i < c.head_dim / 2; ++i) {
    const double inv_freq = 1.0 / std::pow(c.rope_theta, 2.0 * i / c.head_dim);
    const double wavelen = 2 * M_PI / inv_freq;
    double divisor;
    if (wavelen < high_freq_wavelen) {
      divisor = 1.0;
    } else if (wavelen > low_freq_wavelen) {
      divisor = s.factor;
    } else {
      const double smooth = (s.original_max_position_embeddings / wavelen - s.low_freq_factor) /
                            (s.high_freq_factor - s.low_freq_factor);
      divisor = 1.0 / ((1 - smooth) / s.factor + smooth);
    }
    factors.push_back(static_cast<float>(divisor));
  }
  return factors;
}

}  // namespace

Result<ModelConfig> ParseHfConfig(const std::string& text, const std::string& path) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto fail = [&](const std::string& m) { return InvalidArgument(path + ": " + m); };
  if (j.is_discarded() || !j.is_object()) return fail("not a JSON object");

  ModelConfig c;
  if (!j.contains("architectures") || !j["architectures"].is_array() ||
      j["architectures"].empty() || !j["architectures"][0].is_string()) {
    return fail("missing \"architectures\"");
  }
  Result<Arch> arch = ArchFromName(j["architectures"][0].get<std::string>());
  if (!arch.ok()) return arch.status().WithContext(path);
  c.arch = *arch;

  // Reads an integer field; `fallback` < 0 means required.
  std::string error;
  auto get_int = [&](const char* key, int64_t fallback) -> int64_t {
    if (j.contains(key) && j[key].is_number_integer()) return j[key].get<int64_t>();
    if (j.contains(key) && !j[key].is_null() && error.empty()) {
      error = std::string("\"") + key + "\" must be an integer";
    }
    if (fallback < 0 && error.empty()) error = std::string("missing \"") + key + "\"";
    return fallback;
  };
  auto get_double = [&](const char* key, double fallback) -> double {
    if (j.contains(key) && j[key].is_number()) return j[key].get<double>();
    return fallback;
  };
  auto get_bool = [&](const char* key, bool fallback) -> bool {
    if (j.contains(key) && j[key].is_boolean()) return j[key].get<bool>();
    return fallback;
  };
  c.vocab_size = get_int("vocab_size", -1);
  c.hidden_size = get_int("hidden_size", -1);
  c.intermediate_size = get_int("intermediate_size", -1);
  c.num_layers = get_int("num_hidden_layers", -1);
  c.num_heads = get_int("num_attention_heads", -1);
  c.num_kv_heads = get_int("num_key_value_heads", c.num_heads);
  c.head_dim = get_int("head_dim", c.num_heads > 0 ? c.hidden_size / c.num_heads : 0);
  c.max_position_embeddings = get_int("max_position_embeddings", 2048);
  if (j.contains("bos_token_id") && j["bos_token_id"].is_number_integer()) {
    c.bos_token_id = j["bos_token_id"].get<int64_t>();
  }
  if (j.contains("eos_token_id")) {
    const json& e = j["eos_token_id"];  // an int, or a list of which the first is used
    if (e.is_number_integer()) c.eos_token_id = e.get<int64_t>();
    if (e.is_array() && !e.empty() && e[0].is_number_integer()) c.eos_token_id = e[0].get<int64_t>();
  }
  if (!error.empty()) return fail(error);
  c.rope_theta = get_double("rope_theta", 10000.0);
  c.rms_norm_eps = get_double("rms_norm_eps", 1e-6);
  c.initializer_range = get_double("initializer_range", 0.02);
  c.tie_word_embeddings = get_bool("tie_word_embeddings", false);
  const bool attention_bias = get_bool("attention_bias", false);
  switch (c.arch) {
    case Arch::kLlama:
      c.qkv_bias = c.o_bias = attention_bias;
      break;
    case Arch::kQwen2:
      c.qkv_bias = true;
      break;
    case Arch::kQwen3:
      c.qk_norm = true;
      c.qkv_bias = c.o_bias = attention_bias;
      break;
  }
  if (j.contains("hidden_act") && j["hidden_act"] != "silu") {
    return fail("hidden_act " + j["hidden_act"].dump() + " is not supported (only \"silu\")");
  }
  if (j.contains("rope_scaling") && j["rope_scaling"].is_object()) {
    const json& rs = j["rope_scaling"];
    // json::value() throws on a present value of another type: read each field checked.
    auto field = [&](const char* key, auto fallback) -> decltype(fallback) {
      using T = decltype(fallback);
      if (!rs.contains(key) || rs[key].is_null()) return fallback;
      const json& v = rs[key];
      if constexpr (std::is_same_v<T, std::string>) {
        if (v.is_string()) return v.get<std::string>();
      } else if constexpr (std::is_same_v<T, double>) {
        if (v.is_number()) return v.get<double>();
      } else {
        if (v.is_number_integer()) return v.get<int64_t>();
      }
      if (error.empty()) error = std::string("rope_scaling.") + key + " has the wrong type";
      return fallback;
    };
    std::string type = field("rope_type", field("type", std::string()));
    RopeScaling& s = c.rope_scaling;
    s.factor = field("factor", 1.0);
    if (type == "llama3") {
      s.type = RopeScaling::Type::kLlama3;
      s.low_freq_factor = field("low_freq_factor", 1.0);
      s.high_freq_factor = field("high_freq_factor", 4.0);
      s.original_max_position_embeddings = field("original_max_position_embeddings", int64_t{8192});
    }
    if (!error.empty()) return fail(error);
    if (type == "llama3") {
      if (!(s.factor > 0) || !(s.high_freq_factor > s.low_freq_factor) || !(s.low_freq_factor > 0)) {
        return fail("rope_scaling: need factor > 0 and high_freq_factor > low_freq_factor > 0");
      }
    } else if (type == "linear") {
      s.type = RopeScaling::Type::kLinear;
      if (!(s.factor > 0)) return fail("rope_scaling: factor must be positive");
    } else if (type != "default") {
      return fail("rope_scaling type \"" + type + "\" is not supported (llama3, linear are)");
    }
  }
  Status valid = c.Validate();
  if (!valid.ok()) return valid.WithContext(path);
  if (c.rope_scaling.type == RopeScaling::Type::kLlama3) {
    c.rope_freq_factors = Llama3FreqFactors(c);
  } else if (c.rope_scaling.type == RopeScaling::Type::kLinear) {
    c.rope_freq_factors.assign(static_cast<size_t>(c.head_dim / 2),
                               static_cast<float>(c.rope_scaling.factor));
  }
  return c;
}

std::string HfConfigJson(const ModelConfig& c, const std::string& torch_dtype) {
  json j;
  j["architectures"] = {std::string(ArchName(c.arch))};
  j["model_type"] = std::string(ArchGgufName(c.arch));
  j["vocab_size"] = c.vocab_size;
  j["hidden_size"] = c.hidden_size;
  j["intermediate_size"] = c.intermediate_size;
  j["num_hidden_layers"] = c.num_layers;
  j["num_attention_heads"] = c.num_heads;
  j["num_key_value_heads"] = c.num_kv_heads;
  j["head_dim"] = c.head_dim;
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["rope_theta"] = c.rope_theta;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["initializer_range"] = c.initializer_range;
  j["hidden_act"] = "silu";
  j["torch_dtype"] = torch_dtype;
  if (c.arch != Arch::kQwen2) j["attention_bias"] = c.qkv_bias;
  if (c.bos_token_id >= 0) j["bos_token_id"] = c.bos_token_id;
  if (c.eos_token_id >= 0) j["eos_token_id"] = c.eos_token_id;
  const RopeScaling& s = c.rope_scaling;
  if (s.type == RopeScaling::Type::kLlama3) {
    j["rope_scaling"] = {{"rope_type", "llama3"},
                         {"factor", s.factor},
                         {"low_freq_factor", s.low_freq_factor},
                         {"high_freq_factor", s.high_freq_factor},
                         {"original_max_position_embeddings", s.original_max_position_embeddings}};
  } else if (s.type == RopeScaling::Type::kLinear) {
    j["rope_scaling"] = {{"rope_type", "linear"}, {"factor", s.factor}};
  } else {
    j["rope_scaling"] = nullptr;
  }
  return j.dump(2) + "\n";
}

}  // namespace lieq

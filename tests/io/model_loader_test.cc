#include "io/model_loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "io/hf_config.h"
#include "io/random_model.h"
#include "io/safetensors.h"
#include "test_util.h"

namespace lieq {
namespace {

namespace fs = std::filesystem;

std::string MakeTiny(const std::string& preset, const std::string& dtype = "f32") {
  const std::string dir = testing::TempDir() + "/model";
  RandomModelOptions o;
  o.preset = preset;
  o.dtype = dtype;
  o.seed = 3;
  const Status s = WriteRandomModel(o, dir);
  EXPECT_TRUE(s.ok()) << s.message();
  return dir;
}

void EditConfig(const std::string& dir, const std::function<void(nlohmann::json&)>& edit) {
  std::ifstream in(dir + "/config.json");
  nlohmann::json j = nlohmann::json::parse(in);
  edit(j);
  std::ofstream(dir + "/config.json") << j.dump();
}

TEST(ModelLoaderTest, LoadsEveryPresetArchitecture) {
  for (const char* preset : {"tiny-qwen3", "tiny-qwen2", "tiny-llama"}) {
    for (const char* dtype : {"f32", "bf16", "f16"}) {
      const auto model = LoadModel(MakeTiny(preset, dtype));
      ASSERT_TRUE(model.ok()) << preset << " " << dtype << ": " << model.status().message();
      EXPECT_EQ(model->config.num_layers, 2);
      EXPECT_EQ(model->weights.blocks[1].down.w.shape, (Shape{64, 192}));
      EXPECT_EQ(model->weights.blocks[0].attn_norm.dtype, DType::kF32);
    }
  }
}

TEST(ModelLoaderTest, RandomModelsAreReproducible) {
  const std::string a = MakeTiny("tiny-qwen3"), b = MakeTiny("tiny-qwen3");
  std::ifstream fa(a + "/model.safetensors", std::ios::binary), fb(b + "/model.safetensors", std::ios::binary);
  EXPECT_TRUE(std::equal(std::istreambuf_iterator<char>(fa), {}, std::istreambuf_iterator<char>(fb)));
}

TEST(ModelLoaderTest, Llama3RopeScalingIsReadFromConfig) {
  const auto model = LoadModel(MakeTiny("tiny-llama"));
  ASSERT_TRUE(model.ok());
  const auto& f = model->config.rope_freq_factors;
  ASSERT_EQ(f.size(), 8u);
  EXPECT_FLOAT_EQ(f.front(), 1.0f);  // short wavelengths are kept
  EXPECT_FLOAT_EQ(f.back(), 8.0f);   // long wavelengths slowed by `factor`
}

TEST(ModelLoaderTest, ShardedCheckpointsLoad) {
  const std::string dir = MakeTiny("tiny-qwen3");
  const auto whole = SafetensorsFile::Open(dir + "/model.safetensors");
  ASSERT_TRUE(whole.ok());
  std::vector<NamedTensor> first, second;
  nlohmann::json map;
  for (const auto& [name, view] : whole->tensors()) {
    const bool in_first = name.find("layers.1.") == std::string::npos;
    (in_first ? first : second).push_back({name, view});
    map[name] = in_first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  ASSERT_TRUE(WriteSafetensors(dir + "/model-00001-of-00002.safetensors", first, {}, {}).ok());
  ASSERT_TRUE(WriteSafetensors(dir + "/model-00002-of-00002.safetensors", second, {}, {}).ok());
  std::ofstream(dir + "/model.safetensors.index.json") << nlohmann::json{{"weight_map", map}}.dump();
  fs::remove(dir + "/model.safetensors");
  const auto model = LoadModel(dir);
  ASSERT_TRUE(model.ok()) << model.status().message();
}

struct ConfigCase {
  const char* name;
  std::function<void(nlohmann::json&)> edit;
  const char* expected;
};

TEST(ModelLoaderTest, BadConfigsAndCheckpointsGiveClearErrors) {
  const std::vector<ConfigCase> cases = {
      {"unknown_arch", [](auto& j) { j["architectures"] = {"GPT2LMHeadModel"}; }, "unknown architecture 'GPT2LMHeadModel'"},
      {"missing_field", [](auto& j) { j.erase("hidden_size"); }, "missing \"hidden_size\""},
      {"shape_mismatch", [](auto& j) { j["intermediate_size"] = 100; }, "but the config implies [100, 64]"},
      {"heads_not_divisible", [](auto& j) { j["num_key_value_heads"] = 3; }, "not a multiple"},
      {"more_layers", [](auto& j) { j["num_hidden_layers"] = 3; }, "'model.layers.2.input_layernorm.weight' is missing"},
      {"bad_act", [](auto& j) { j["hidden_act"] = "gelu"; }, "hidden_act"},
      {"bad_type", [](auto& j) { j["vocab_size"] = "many"; }, "must be an integer"},
  };
  for (const ConfigCase& c : cases) {
    const std::string dir = MakeTiny("tiny-qwen3");
    EditConfig(dir, c.edit);
    const auto model = LoadModel(dir);
    ASSERT_FALSE(model.ok()) << c.name;
    EXPECT_NE(model.status().message().find(c.expected), std::string::npos) << c.name << ": " << model.status().message();
    EXPECT_NE(model.status().message().find(dir), std::string::npos) << c.name << ": " << model.status().message();
  }
}

TEST(ModelLoaderTest, MissingFilesAreNamed) {
  const std::string dir = MakeTiny("tiny-qwen3");
  fs::remove(dir + "/model.safetensors");
  auto model = LoadModel(dir);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("model.safetensors"), std::string::npos);
  fs::remove(dir + "/config.json");
  model = LoadModel(dir);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("config.json"), std::string::npos);
  EXPECT_FALSE(LoadModel(dir + "/nothing-here").ok());
  const std::string junk = testing::TempDir() + "/junk.bin";
  std::ofstream(junk) << "not a model";
  model = LoadModel(junk);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("neither"), std::string::npos);
}

}  // namespace
}  // namespace lieq

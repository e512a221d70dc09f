// Quantized models: the file format round-trips bit-exactly, the loaded model computes what the
// quantizer's in-memory model computes, and bad plans or files give clear errors.
#include "io/quantized_model.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/half.h"
#include "core/rng.h"
#include "io/model_loader.h"
#include "io/random_model.h"
#include "plan/bit_plan.h"
#include "quant/embed_head.h"
#include "quant/model_quantizer.h"
#include "runtime/transformer.h"
#include "test_util.h"

namespace lieq {
namespace {

namespace fs = std::filesystem;

std::string MakeTiny(const std::string& preset, const std::string& dir) {
  RandomModelOptions o;
  o.preset = preset;
  o.dtype = "bf16";
  o.seed = 5;
  const Status s = WriteRandomModel(o, dir);
  EXPECT_TRUE(s.ok()) << s.message();
  return dir;
}

std::vector<std::vector<int32_t>> RandomWindows(int64_t count, int64_t len, int64_t vocab) {
  Rng rng(1);
  std::vector<std::vector<int32_t>> w(static_cast<size_t>(count));
  for (auto& window : w) {
    for (int64_t t = 0; t < len; ++t) window.push_back(static_cast<int32_t>(rng.NextU64() % vocab));
  }
  return w;
}

std::vector<float> Logits(const Model& model, const std::vector<int32_t>& tokens) {
  ThreadPool pool(1);
  Transformer t(model, pool);
  KvCache cache(model.config, static_cast<int64_t>(tokens.size()));
  const int64_t n = static_cast<int64_t>(tokens.size());
  std::vector<float> hidden(static_cast<size_t>(n * model.config.hidden_size));
  std::vector<float> logits(static_cast<size_t>(n * model.config.vocab_size));
  EXPECT_TRUE(t.Forward(tokens, cache, hidden.data()).ok());
  t.Logits(hidden.data(), n, logits.data());
  return logits;
}

struct Quantized {
  Model model;  // the quantizer's in-memory result (dequantized F32 linears)
  QuantizationConfig config;
};

Quantized Quantize(const std::string& folder, QuantMethod method, std::vector<int> bits) {
  Result<Model> model = LoadModel(folder);
  EXPECT_TRUE(model.ok()) << model.status().message();
  QuantizeOptions o;
  o.method = method;
  o.bits = bits;
  o.group_size = 32;
  o.awq.grid = 4;
  if (NeedsCalibration(method)) o.calibration = RandomWindows(2, 16, model->config.vocab_size);
  ThreadPool pool(2);
  const Status quantized = QuantizeModel(*model, o, pool);
  EXPECT_TRUE(quantized.ok()) << quantized.message();
  QuantizationConfig qc;
  qc.method = QuantMethodName(method);
  qc.bits = bits;
  qc.group_size = 32;
  return {std::move(model).value(), qc};
}

TEST(QuantizedModelTest, RoundTripsBitExactlyAndComputesTheSame) {
  const std::string dir = testing::TempDir();
  const std::string src = MakeTiny("tiny-qwen3", dir + "/src");
  for (QuantMethod method :
       {QuantMethod::kRtn, QuantMethod::kGptq, QuantMethod::kAwq, QuantMethod::kAwqGptq}) {
    SCOPED_TRACE(QuantMethodName(method));
    Quantized q = Quantize(src, method, {2, 4});
    for (const BlockWeights& b : q.model.weights.blocks) {  // the quantizer leaves them packed
      for (Projection p : kAllProjections) {
        EXPECT_TRUE(b.linear(p).is_packed());
        EXPECT_EQ(b.linear(p).w.data, nullptr);
      }
    }
    const std::string out = dir + "/q-" + std::to_string(static_cast<int>(method));
    ASSERT_TRUE(WriteQuantizedModel(q.model, q.config, out, false).ok());
    Result<Model> loaded = LoadModel(out);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    EXPECT_EQ(loaded->source_format, "lieq-quantized");
    for (size_t l = 0; l < 2; ++l) {
      for (Projection p : kAllProjections) {
        const GroupQuantView v = loaded->weights.blocks[l].linear(p).packed;
        const GroupQuantView e = q.model.weights.blocks[l].linear(p).packed;
        ASSERT_EQ(v.bits, e.bits);
        ASSERT_EQ(v.rows, e.rows);
        ASSERT_EQ(v.cols, e.cols);
        const auto groups = static_cast<size_t>(e.rows * e.groups_per_row());
        EXPECT_EQ(std::memcmp(v.codes, e.codes, e.rows * PackedRowBytes(e.bits, e.cols)), 0);
        EXPECT_EQ(std::memcmp(v.scales, e.scales, groups * 2), 0);
        EXPECT_EQ(std::memcmp(v.zeros, e.zeros, groups * 2), 0);
      }
      // Norms (rescaled by AWQ) come back exactly.
      const auto a = loaded->weights.blocks[l].attn_norm.F32();
      const auto b = q.model.weights.blocks[l].attn_norm.F32();
      EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin()));
    }
    // The quantizer's in-memory model and the loaded file hold the same packed layers and
    // norms: the same logits bit for bit, in prefill and in decode (integer kernels).
    const std::vector<int32_t> tokens = {1, 7, 42, 99, 3, 250, 11, 12, 13, 14, 15, 16};
    EXPECT_EQ(Logits(q.model, tokens), Logits(*loaded, tokens));
    const std::vector<int32_t> few = {1, 7, 42};
    EXPECT_EQ(Logits(q.model, few), Logits(*loaded, few));
    // Writing the loaded model again reproduces the file byte for byte.
    ASSERT_TRUE(WriteQuantizedModel(*loaded, q.config, out + "-again", false).ok());
    std::ifstream f1(out + "/model.safetensors", std::ios::binary),
        f2(out + "-again/model.safetensors", std::ios::binary);
    const std::string b1((std::istreambuf_iterator<char>(f1)), {}),
        b2((std::istreambuf_iterator<char>(f2)), {});
    EXPECT_EQ(b1, b2);
  }
}

// --head-type / --embed-type in the folder format: the embeddings and head are stored in ggml
// block types and come back as the same bytes, tied when one type serves both, untied otherwise.
TEST(QuantizedModelTest, LowBitEmbeddingsAndHeadRoundTrip) {
  const std::string dir = testing::TempDir();
  const std::string src = MakeTiny("tiny-qwen3", dir + "/src-eh");  // tied, d = 64
  ThreadPool pool(2);
  struct Case {
    EmbedHeadTypes types;
    DType embed, head;  // stored types: d = 64 is no multiple of 256, so K types fall back
    bool tied;
  };
  const Case cases[] = {{{DType::kQ6_K, std::nullopt}, DType::kQ8_0, DType::kQ8_0, true},
                        {{DType::kQ6_K, DType::kQ4_K}, DType::kQ4_1, DType::kQ8_0, false},
                        {{DType::kQ8_0, DType::kQ4_0}, DType::kQ4_0, DType::kQ8_0, false}};
  int i = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(i);
    Quantized q = Quantize(src, QuantMethod::kRtn, {2, 4});
    ASSERT_TRUE(QuantizeEmbedHead(q.model, c.types, pool).ok());
    EXPECT_EQ(q.model.weights.embed.dtype, c.embed);
    EXPECT_EQ(q.model.weights.lm_head.dtype, c.head);
    const std::string out = dir + "/eh-" + std::to_string(i++);
    ASSERT_TRUE(WriteQuantizedModel(q.model, q.config, out, false).ok());
    Result<Model> loaded = LoadModel(out);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    EXPECT_EQ(loaded->config.tie_word_embeddings, c.tied);
    for (auto [a, b] : {std::pair(&loaded->weights.embed, &q.model.weights.embed),
                        std::pair(&loaded->weights.lm_head, &q.model.weights.lm_head)}) {
      ASSERT_EQ(a->dtype, b->dtype);
      ASSERT_EQ(a->shape, b->shape);
      EXPECT_EQ(std::memcmp(a->data, b->data, static_cast<size_t>(a->SizeBytes())), 0);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(a->data) % 2, 0u);  // fp16 fields of the blocks
    }
    EXPECT_EQ(loaded->weights.embed.data == loaded->weights.lm_head.data, c.tied);
    const std::vector<int32_t> tokens = {1, 7, 42, 99, 3, 250, 11, 12, 13, 14, 15, 16};
    EXPECT_EQ(Logits(q.model, tokens), Logits(*loaded, tokens));  // the same packed data
  }
  // A U8 matrix whose type config.json does not name is a clear error.
  const std::string out = dir + "/eh-1";
  std::ifstream in(out + "/config.json");
  nlohmann::json j = nlohmann::json::parse(in);
  in.close();
  j["quantization_config"].erase("tensor_types");
  std::ofstream(out + "/config.json") << j.dump();
  const Result<Model> m = LoadModel(out);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("gives it no block type"), std::string::npos)
      << m.status().message();
  j["quantization_config"]["tensor_types"] = {{"model.embed_tokens.weight", "q9_Z"}};
  std::ofstream(out + "/config.json") << j.dump();
  EXPECT_FALSE(LoadModel(out).ok());
}

TEST(QuantizedModelTest, RefusesToOverwriteWithoutForce) {
  const std::string dir = testing::TempDir();
  Quantized q = Quantize(MakeTiny("tiny-llama", dir + "/src"), QuantMethod::kRtn, {3, 8});
  ASSERT_TRUE(WriteQuantizedModel(q.model, q.config, dir + "/out", false).ok());
  const Status again = WriteQuantizedModel(q.model, q.config, dir + "/out", false);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(WriteQuantizedModel(q.model, q.config, dir + "/out", true).ok());
  EXPECT_TRUE(LoadModel(dir + "/out").ok());
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos);
  }
}

TEST(QuantizedModelTest, MismatchedPlansAreClearErrors) {
  const std::string dir = testing::TempDir();
  Result<Model> model = LoadModel(MakeTiny("tiny-qwen2", dir + "/src"));
  ASSERT_TRUE(model.ok());
  ThreadPool pool(1);
  QuantizeOptions o;
  o.bits = {2, 2, 2};
  Status r = QuantizeModel(*model, o, pool);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("3 blocks but the model has 2"), std::string::npos);
  o.bits = {2, 5};
  r = QuantizeModel(*model, o, pool);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("bits[1] = 5"), std::string::npos);
  o.bits = {2, 2};
  o.group_size = 48;
  EXPECT_FALSE(QuantizeModel(*model, o, pool).ok());
  o.group_size = 32;
  o.method = QuantMethod::kGptq;
  r = QuantizeModel(*model, o, pool);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("calibration"), std::string::npos);
  // A plan that names a block the model does not hold quantized.
  QuantizationConfig qc;
  qc.method = "rtn";
  qc.bits = {2, 2};
  qc.group_size = 32;
  r = WriteQuantizedModel(*model, qc, dir + "/unquantized", false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("the layer is not quantized"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir + "/unquantized"));
}

TEST(QuantizedModelTest, CorruptedFilesAreClearErrors) {
  const std::string dir = testing::TempDir();
  Quantized q = Quantize(MakeTiny("tiny-qwen3", dir + "/src"), QuantMethod::kRtn, {2, 3});
  const std::string out = dir + "/out";
  ASSERT_TRUE(WriteQuantizedModel(q.model, q.config, out, false).ok());
  auto edit_config = [&](const std::function<void(nlohmann::json&)>& edit) {
    std::ifstream in(out + "/config.json");
    nlohmann::json j = nlohmann::json::parse(in);
    edit(j);
    std::ofstream(out + "/config.json") << j.dump();
  };
  edit_config([](nlohmann::json& j) { j["quantization_config"]["bits"] = {2, 3, 4}; });
  Result<Model> m = LoadModel(out);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("3 entries but the model has 2 blocks"), std::string::npos);
  edit_config([](nlohmann::json& j) { j["quantization_config"]["bits"] = {2, 5}; });
  m = LoadModel(out);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("unsupported width 5"), std::string::npos);
  // Widths that disagree with the stored codes.
  edit_config([](nlohmann::json& j) { j["quantization_config"]["bits"] = {2, 4}; });
  m = LoadModel(out);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("for 4-bit weights"), std::string::npos);
  // A truncated weights file.
  edit_config([](nlohmann::json& j) { j["quantization_config"]["bits"] = {2, 3}; });
  ASSERT_TRUE(LoadModel(out).ok());
  fs::resize_file(out + "/model.safetensors", fs::file_size(out + "/model.safetensors") - 100);
  m = LoadModel(out);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("model.safetensors"), std::string::npos);
}

TEST(QuantizeCliTest, RejectsBadPlans) {
  const std::string dir = testing::TempDir();
  const std::string src = MakeTiny("tiny-qwen3", dir + "/src");
  BitPlan plan;
  plan.num_blocks = 3;
  plan.bits = {2, 2, 2};
  plan.candidates = {2};
  plan.group_size = 32;
  plan.rank_by = "manual";
  ASSERT_TRUE(WriteBitPlan(plan, dir + "/plan.json", false).ok());
  std::string output;
  const std::string lieq = testing::LieqBinary();
  EXPECT_NE(testing::RunCommand(lieq + " quantize " + src + " --plan " + dir +
                                    "/plan.json --method rtn -o " + dir + "/o1",
                                &output),
            0);
  EXPECT_NE(output.find("blocks"), std::string::npos) << output;
  EXPECT_NE(testing::RunCommand(lieq + " quantize " + src +
                                    " --uniform 5 --group-size 32 --method rtn -o " + dir + "/o2",
                                &output),
            0);
  EXPECT_NE(output.find("5"), std::string::npos) << output;
  EXPECT_NE(
      testing::RunCommand(lieq + " quantize " + src +
                              " --uniform 4 --group-size 32 --method gptq --calib-seq 100000 -o " +
                              dir + "/o3",
                          &output),
      0);
  EXPECT_NE(output.find("context"), std::string::npos) << output;
  ASSERT_EQ(testing::RunCommand(lieq + " quantize " + src +
                                    " --uniform 4 --group-size 32 --method rtn -o " + dir + "/o4",
                                &output),
            0)
      << output;
  EXPECT_NE(testing::RunCommand(lieq + " quantize " + src +
                                    " --uniform 4 --group-size 32 --method rtn -o " + dir + "/o4",
                                &output),
            0);
  EXPECT_NE(output.find("--force"), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(dir + "/o1"));
}

}  // namespace
}  // namespace lieq

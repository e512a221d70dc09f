// GGUF export: widths map to ggml types through the table (with per-tensor fallbacks), the
// file loads back with exactly the bytes GPTQ/RTN produced, and it is written atomically.
#include "quant/gguf_export.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "io/gguf_model.h"
#include "io/model_loader.h"
#include "io/random_model.h"
#include "test_util.h"

namespace lieq {
namespace {

namespace fs = std::filesystem;

TEST(GgufTypeRules, MapWidthsAndFallBackWhereKBlocksDoNotFit) {
  EXPECT_EQ(GgufTypeForBits(2, 256).value(), DType::kQ2_K);
  EXPECT_EQ(GgufTypeForBits(3, 768).value(), DType::kQ3_K);
  EXPECT_EQ(GgufTypeForBits(4, 256).value(), DType::kQ4_K);
  EXPECT_EQ(GgufTypeForBits(6, 256).value(), DType::kQ6_K);
  EXPECT_EQ(GgufTypeForBits(8, 256).value(), DType::kQ8_0);
  EXPECT_EQ(GgufTypeForBits(2, 320).value(), DType::kQ4_0);
  EXPECT_EQ(GgufTypeForBits(4, 864).value(), DType::kQ4_1);
  EXPECT_EQ(GgufTypeForBits(6, 864).value(), DType::kQ8_0);
  Result<DType> seven = GgufTypeForBits(7, 256);
  ASSERT_FALSE(seven.ok());
  EXPECT_NE(seven.status().message().find("width 7"), std::string::npos);
  EXPECT_EQ(FitTypeToRow(DType::kQ6_K, 320), DType::kQ8_0);
  EXPECT_EQ(FitTypeToRow(DType::kQ6_K, 256), DType::kQ6_K);
  EXPECT_EQ(FitTypeToRow(DType::kF16, 320), DType::kF16);
}

// Every block linear, the embeddings and the head of `loaded` hold the bytes of `exported`.
void ExpectSameTensors(Model& exported, Model& loaded) {
  std::vector<TensorSlot> a = TensorSlots(exported.config, exported.weights);
  std::vector<TensorSlot> b = TensorSlots(loaded.config, loaded.weights);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].is_vector) continue;
    SCOPED_TRACE(a[i].gguf_name);
    const TensorView& x = *a[i].view;
    const TensorView& y = *b[i].view;
    ASSERT_EQ(x.dtype, y.dtype);
    ASSERT_EQ(x.shape, y.shape);
    const int64_t bytes = RowBytes(x.dtype, x.cols()) * x.rows();
    EXPECT_EQ(std::memcmp(x.data, y.data, static_cast<size_t>(bytes)), 0);
  }
}

std::vector<std::vector<int32_t>> RandomWindows(int64_t vocab, int n, int len) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(vocab - 1));
  std::vector<std::vector<int32_t>> windows(static_cast<size_t>(n));
  for (auto& w : windows) {
    for (int i = 0; i < len; ++i) w.push_back(id(rng));
  }
  return windows;
}

TEST(GgufExport, TinyLlamaFallsBackPerTensorAndLoadsBack) {
  const std::string dir = testing::TempDir();
  RandomModelOptions random;
  random.preset = "tiny-llama";  // hidden 64, ff 192: no K block fits
  ASSERT_TRUE(WriteRandomModel(random, dir + "/src").ok());
  Result<Model> model = LoadModel(dir + "/src");
  ASSERT_TRUE(model.ok()) << model.status().message();
  ThreadPool pool(2);
  QuantizeOptions quant;
  quant.method = QuantMethod::kGptq;
  quant.bits = {2, 8};
  quant.calibration = RandomWindows(model->config.vocab_size, 4, 32);
  GgufExportOptions options;
  const std::string out = dir + "/tiny.gguf";
  Result<GgufExportReport> report = ExportGguf(*model, quant, options, out, pool);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(model->weights.blocks[0].q.w.dtype, DType::kQ4_0);
  EXPECT_EQ(model->weights.blocks[1].down.w.dtype, DType::kQ8_0);
  EXPECT_EQ(model->weights.embed.dtype, DType::kQ4_1);    // Q4_K's fallback
  EXPECT_EQ(model->weights.lm_head.dtype, DType::kQ8_0);  // Q6_K's fallback
  EXPECT_EQ(report->file_bytes, static_cast<int64_t>(fs::file_size(out)));
  EXPECT_GT(report->file_bytes, report->tensor_bytes);
  Result<Model> loaded = LoadGgufModel(out);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ExpectSameTensors(*model, *loaded);
  for (const auto& entry : fs::directory_iterator(dir)) {  // atomic: no temporary left behind
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }
  // The output exists now: a second export refuses to replace it unless asked.
  Result<Model> again = LoadModel(dir + "/src");
  ASSERT_TRUE(again.ok());
  quant.method = QuantMethod::kRtn;
  EXPECT_EQ(ExportGguf(*again, quant, options, out, pool).status().code(),
            StatusCode::kAlreadyExists);
  options.write.overwrite = true;
  quant.method = QuantMethod::kAwq;
  EXPECT_EQ(ExportGguf(*again, quant, options, out, pool).status().code(),
            StatusCode::kUnimplemented);
}

TEST(GgufExport, ReferenceQwen3GetsKTypesPerBlock) {
  const std::string ref = testing::RepoDir() + "/models/lieq-ref-qwen3";
  if (!fs::exists(ref)) GTEST_FAIL() << ref << " is missing";
  Result<Model> model = LoadModel(ref);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ThreadPool pool(2);
  QuantizeOptions quant;
  quant.method = QuantMethod::kGptq;
  quant.bits.assign(static_cast<size_t>(model->config.num_layers), 2);
  quant.bits[0] = 4;
  quant.bits[1] = 3;
  quant.bits[2] = 6;
  quant.bits[3] = 8;
  quant.calibration = RandomWindows(model->config.vocab_size, 2, 64);
  GgufExportOptions options;
  options.embed_type = DType::kQ4_K;  // tied, differs from the head: untied into two tensors
  const std::string out = testing::TempDir() + "/ref.gguf";
  Result<GgufExportReport> report = ExportGguf(*model, quant, options, out, pool);
  ASSERT_TRUE(report.ok()) << report.status().message();
  const DType expected[] = {DType::kQ4_K, DType::kQ3_K, DType::kQ6_K, DType::kQ8_0, DType::kQ2_K};
  for (size_t l = 0; l < std::size(expected); ++l) {
    for (Projection p : kAllProjections) {
      EXPECT_EQ(model->weights.blocks[l].linear(p).w.dtype, expected[l]) << l;
    }
  }
  EXPECT_FALSE(model->config.tie_word_embeddings);
  EXPECT_EQ(model->weights.embed.dtype, DType::kQ4_K);
  EXPECT_EQ(model->weights.lm_head.dtype, DType::kQ6_K);
  // Mostly 2-bit blocks plus 6.56-bit Q6_K head: between 2.6 and 4 bits per weight overall.
  EXPECT_GT(report->bits_per_weight(), 2.6);
  EXPECT_LT(report->bits_per_weight(), 4.0);
  Result<Model> loaded = LoadGgufModel(out);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ExpectSameTensors(*model, *loaded);
}

}  // namespace
}  // namespace lieq

// Forged headers: sizes and counts read from a file are checked against the file's real size
// before anything is allocated, and integer overflow in shape products is caught. Each case is
// a small file claiming something huge; it must be rejected with a message naming the file.
// (tests/io has the format-by-format cases; these are the limits of docs/RELIABILITY.md.)
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "io/gguf_reader.h"
#include "io/gguf_test_bytes.h"
#include "io/hf_config.h"
#include "io/model_loader.h"
#include "io/random_model.h"
#include "io/safetensors.h"
#include "plan/bit_plan.h"
#include "test_util.h"
#include "tokenizer/tokenizer_json.h"

namespace lieq {
namespace {

using testing::GgufBytes;

constexpr uint32_t kF32 = 0, kQ8_0 = 8, kString = 8, kArray = 9, kU64 = 10;

std::string WriteBytes(const std::string& name, const std::string& bytes) {
  const std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string Safetensors(const std::string& header_json, const std::string& data) {
  const uint64_t n = header_json.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + header_json + data;
}

// The error of opening forged safetensors bytes; fails the test when they open.
std::string SafetensorsError(const std::string& bytes) {
  const std::string path = WriteBytes("forged.safetensors", bytes);
  const auto start = std::chrono::steady_clock::now();
  Result<SafetensorsFile> f = SafetensorsFile::Open(path);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_FALSE(f.ok());
  if (f.ok()) return "";
  EXPECT_NE(f.status().message().find(path), std::string::npos) << f.status().message();
  return f.status().message();
}

std::string GgufError(const GgufBytes& b) {
  const std::string path = WriteBytes("forged.gguf", b.str());
  const auto start = std::chrono::steady_clock::now();
  Result<GgufFile> f = GgufFile::Open(path);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_FALSE(f.ok());
  if (f.ok()) return "";
  EXPECT_NE(f.status().message().find(path), std::string::npos) << f.status().message();
  return f.status().message();
}

#define EXPECT_HAS(text, fragment) EXPECT_NE((text).find(fragment), std::string::npos) << (text)

// --- safetensors -------------------------------------------------------------------------------

TEST(ForgedSafetensors, HeaderLengthBeyondTheFile) {
  EXPECT_HAS(SafetensorsError(std::string("\x00\x00\x00\x00\x00\x00\x00\x80", 8) + "{}"),
             "exceeds the file size");
  // Just one byte more than the file has.
  EXPECT_HAS(SafetensorsError(std::string("\x03\x00\x00\x00\x00\x00\x00\x00", 8) + "{}"),
             "exceeds the file size");
}

TEST(ForgedSafetensors, DataOffsetsBeyondTheFile) {
  EXPECT_HAS(
      SafetensorsError(Safetensors(
          R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,18446744073709551615]}})",
          "abcd")),
      "outside");
  EXPECT_HAS(SafetensorsError(
                 Safetensors(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "abcd")),
             "outside");
}

TEST(ForgedSafetensors, ShapeProductOverflow) {
  // 2^32 * 2^32 overflows int64; 2^62 elements fit but 4 bytes each do not.
  EXPECT_HAS(
      SafetensorsError(Safetensors(
          R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", "abcd")),
      "overflows");
  EXPECT_HAS(
      SafetensorsError(Safetensors(
          R"({"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}})", "")),
      "overflows");
  EXPECT_HAS(SafetensorsError(Safetensors(
                 R"({"w":{"dtype":"BF16","shape":[65536,65536,65536,65536],"data_offsets":[0,2]}})",
                 "ab")),
             "overflows");
}

TEST(ForgedSafetensors, ByteSpanMustEqualDtypeSizeTimesElements) {
  EXPECT_HAS(SafetensorsError(Safetensors(
                 R"({"w":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}})", "abcdefgh")),
             "expected 6");
}

TEST(ForgedSafetensors, ZeroAndHugeDimensions) {
  // A zero dimension would make row counts divide by zero downstream.
  EXPECT_HAS(SafetensorsError(
                 Safetensors(R"({"w":{"dtype":"F32","shape":[3,0],"data_offsets":[0,0]}})", "")),
             "dimension 0");
  EXPECT_HAS(
      SafetensorsError(Safetensors(
          R"({"w":{"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,4]}})", "abcd")),
      "dimension 9223372036854775808");
}

// --- GGUF --------------------------------------------------------------------------------------

TEST(ForgedGguf, CountsBeyondTheBytesLeft) {
  // The smallest metadata pair is 13 bytes and the smallest tensor info 32: one more than the
  // bytes left is refused before anything is reserved.
  GgufBytes kvs;
  kvs.Header(3, 0, 2).KvU32("a", 1);  // 13 bytes left, room for one
  EXPECT_HAS(GgufError(kvs), "metadata count 2");
  GgufBytes tensors;
  tensors.Header(3, 2, 0).TensorInfo("t", {8}, kF32, 0);  // one tensor info, 33 bytes
  EXPECT_HAS(GgufError(tensors), "tensor count 2");
  GgufBytes huge;
  huge.Header(3, ~uint64_t{0}, ~uint64_t{0});
  EXPECT_HAS(GgufError(huge), "count");
}

TEST(ForgedGguf, StringAndArrayLengthsBeyondTheBytesLeft) {
  GgufBytes key;
  key.Header(3, 0, 1).U64(100).U32(4).U32(1);  // key length 100 in a 40-byte file
  EXPECT_HAS(GgufError(key), "length 100");
  GgufBytes u64s;  // 2^61 uint64 values: count * 8 overflows 64 bits
  u64s.Header(3, 0, 1).Str("a").U32(kArray).U32(kU64).U64(uint64_t{1} << 61).U64(0);
  EXPECT_HAS(GgufError(u64s), "cannot fit");
  GgufBytes strings;
  strings.Header(3, 0, 1).Str("a").U32(kArray).U32(kString).U64(uint64_t{1} << 40).Str("x");
  EXPECT_HAS(GgufError(strings), "cannot fit");
  GgufBytes arrays;  // arrays of arrays: each needs at least 12 bytes
  arrays.Header(3, 0, 1).Str("a").U32(kArray).U32(kArray).U64(1000).U32(4).U64(0);
  EXPECT_HAS(GgufError(arrays), "cannot fit");
}

TEST(ForgedGguf, ShapeProductOverflow) {
  GgufBytes b;
  b.Header(3, 1, 0).TensorInfo(
      "t", {uint64_t{1} << 16, uint64_t{1} << 16, uint64_t{1} << 16, uint64_t{1} << 16}, kF32, 0);
  EXPECT_HAS(GgufError(b), "overflows");
  GgufBytes q;  // fits int64 as elements, but the blocks need more bytes than the file has
  q.Header(3, 1, 0).TensorInfo("t", {uint64_t{1} << 40, uint64_t{1} << 20}, kQ8_0, 0);
  EXPECT_HAS(GgufError(q), "more bytes than");
}

TEST(ForgedGguf, TensorDataBeyondTheFile) {
  GgufBytes b;
  b.Header(3, 1, 0).TensorInfo("t", {64}, kF32, 0).PadTo(32);
  b.Raw(std::string(255, '\0').data(), 255);  // 256 bytes needed
  EXPECT_HAS(GgufError(b), "outside");
}

// --- model folders, config.json, BitPlan --------------------------------------------------------

std::string TinyModel() {
  const std::string dir = testing::TempDir() + "/tiny";
  RandomModelOptions o;
  o.preset = "tiny-qwen3";
  o.seed = 1;
  EXPECT_TRUE(WriteRandomModel(o, dir).ok());
  return dir;
}

void EditConfig(const std::string& dir, const std::function<void(nlohmann::json&)>& edit) {
  std::ifstream in(dir + "/config.json");
  nlohmann::json j = nlohmann::json::parse(in);
  edit(j);
  std::ofstream(dir + "/config.json") << j.dump();
}

TEST(ForgedModelFolder, HugeBlockCountIsRefusedBeforeAllocating) {
  // 2^24 blocks would be gigabytes of per-block state; the checkpoint has 2.
  const std::string dir = TinyModel();
  EditConfig(dir, [](nlohmann::json& j) { j["num_hidden_layers"] = 1 << 24; });
  const auto start = std::chrono::steady_clock::now();
  Result<Model> m = LoadModel(dir);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_FALSE(m.ok());
  EXPECT_HAS(m.status().message(), "model.layers.2.input_layernorm.weight' is missing");
}

TEST(ForgedConfig, WrongTypesInRopeScalingAreErrorsNotExceptions) {
  const std::string base =
      R"({"architectures":["LlamaForCausalLM"],"vocab_size":8,"hidden_size":32,)"
      R"("intermediate_size":32,"num_hidden_layers":1,"num_attention_heads":2,"rope_scaling":)";
  for (const char* rs :
       {R"({"rope_type":"llama3","factor":"8"})", R"({"rope_type":7})", R"({"type":[1]})",
        R"({"rope_type":"llama3","original_max_position_embeddings":1e300})",
        R"({"rope_type":"llama3","low_freq_factor":{}})"}) {
    Result<ModelConfig> c = ParseHfConfig(base + rs + "}", "config.json");
    ASSERT_FALSE(c.ok()) << rs;
    EXPECT_HAS(c.status().message(), "config.json: rope_scaling");
  }
}

TEST(ForgedTokenizer, SparseIdsDoNotAllocateMillionsOfPlaceholders) {
  // 60 bytes naming id 2^24 - 1: 16M placeholder tokens (about 1 GB) if accepted.
  const std::string text =
      R"({"model":{"type":"BPE","vocab":{"a":16777215},"merges":[]},"pre_tokenizer":null})";
  const auto start = std::chrono::steady_clock::now();
  Result<TokenizerSpec> spec = ParseTokenizerJson(text, "tokenizer.json");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_FALSE(spec.ok());
  EXPECT_HAS(spec.status().message(), "tokenizer.json: token ids go up to 16777215");
  // A few unused ids, as real vocabularies reserve, are fine.
  Result<TokenizerSpec> dense = ParseTokenizerJson(
      R"({"model":{"type":"BPE","vocab":{"a":0,"b":1000},"merges":[]},"pre_tokenizer":null})",
      "tokenizer.json");
  EXPECT_TRUE(dense.ok() || dense.status().message().find("token ids go up") == std::string::npos)
      << dense.status().message();
}

TEST(ForgedBitPlan, OutOfRangeNumbersAreErrors) {
  const std::string base = R"({"format":"lieq-bitplan","version":1,)";
  for (const char* rest :
       {R"("num_blocks":1e300,"bits":[2]})", R"("num_blocks":1,"bits":[1e300]})",
        R"("num_blocks":1,"bits":[2],"group_size":-1e30})",
        R"("num_blocks":4294967297,"bits":[2]})", R"("num_blocks":1,"bits":[4294967298]})",
        R"("num_blocks":1,"bits":[2],"seed":-1})", R"("num_blocks":1,"bits":[2],"rank":[1e20]})"}) {
    const auto j = nlohmann::json::parse(base + rest);
    Result<BitPlan> p = BitPlanFromJson(j, "plan.json");
    EXPECT_FALSE(p.ok()) << rest;
    if (!p.ok()) {
      EXPECT_HAS(p.status().message(), "plan.json");
    }
  }
}

}  // namespace
}  // namespace lieq

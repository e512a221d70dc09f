#include "io/safetensors.h"

#include <gtest/gtest.h>

#include <fstream>

#include "test_util.h"

namespace lieq {
namespace {

std::string WriteRaw(const std::string& dir, const std::string& name, const std::string& bytes) {
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string WithHeader(const std::string& json, const std::string& data) {
  const uint64_t n = json.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + json + data;
}

TEST(SafetensorsTest, RoundTrip) {
  const std::string dir = testing::TempDir();
  OwnedTensor a = OwnedTensor::Zeros(DType::kF32, {2, 3});
  for (int i = 0; i < 6; ++i) a.f32()[i] = static_cast<float>(i) * 0.5f;
  OwnedTensor b = OwnedTensor::Zeros(DType::kBF16, {4});
  b.buffer.As<uint16_t>()[2] = 0x3f80;
  const std::string path = dir + "/m.safetensors";
  ASSERT_TRUE(WriteSafetensors(path, {{"a", a.view()}, {"b", b.view()}}, {{"format", "pt"}}, {}).ok());
  const auto file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().message();
  const TensorView va = file->tensors().at("a");
  EXPECT_EQ(va.shape, (Shape{2, 3}));
  EXPECT_EQ(va.F32()[5], 2.5f);
  EXPECT_EQ(reinterpret_cast<const uint16_t*>(file->tensors().at("b").data)[2], 0x3f80);
  EXPECT_EQ(file->metadata().at("format"), "pt");
}

struct BadCase {
  const char* name;
  std::string bytes;
  const char* expected;  // a fragment of the error message
};

TEST(SafetensorsTest, BadFilesGiveClearErrors) {
  const std::string dir = testing::TempDir();
  const std::string ok_entry = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::vector<BadCase> cases = {
      {"empty", "", "too short"},
      {"huge_header", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}", "exceeds the file size"},
      {"truncated_data", WithHeader(ok_entry, "1234"), "outside"},
      {"not_json", WithHeader("{nope", ""), "not a JSON object"},
      {"offsets_lie", WithHeader(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", "12345678"), "expected 8"},
      {"reversed_offsets", WithHeader(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", "12345678"), "outside"},
      {"unknown_dtype", WithHeader(R"({"w":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}})", "1"), "dtype I8"},
      {"negative_shape", WithHeader(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", "1234"), "non-negative"},
      {"overflowing_shape", WithHeader(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", "1234"), "overflows"},
      {"missing_fields", WithHeader(R"({"w":{"dtype":"F32"}})", ""), "needs dtype"},
  };
  for (const BadCase& c : cases) {
    const std::string path = WriteRaw(dir, c.name, c.bytes);
    const auto file = SafetensorsFile::Open(path);
    ASSERT_FALSE(file.ok()) << c.name;
    EXPECT_NE(file.status().message().find(path), std::string::npos) << c.name << ": " << file.status().message();
    EXPECT_NE(file.status().message().find(c.expected), std::string::npos) << c.name << ": " << file.status().message();
  }
  EXPECT_EQ(SafetensorsFile::Open(dir + "/absent").status().code(), StatusCode::kNotFound);
}

// Every truncation of a valid file is rejected or read consistently, never a crash.
TEST(SafetensorsTest, EveryTruncationIsHandled) {
  const std::string dir = testing::TempDir();
  const std::string good = WithHeader(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "12345678");
  for (size_t n = 0; n < good.size(); ++n) {
    const auto file = SafetensorsFile::Open(
        WriteRaw(dir, std::string("t").append(std::to_string(n)), good.substr(0, n)));
    EXPECT_FALSE(file.ok()) << n;
  }
}

}  // namespace
}  // namespace lieq

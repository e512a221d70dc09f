// GgufWriter -> GgufFile round trips: metadata of every type, tensors of several dtypes,
// alignment padding, and the writer's own error checks.
#include "io/gguf_writer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "core/half.h"
#include "io/gguf_reader.h"
#include "kernels/quantize_reference.h"
#include "test_util.h"

namespace lieq {
namespace {

std::string TempPath() { return testing::TempDir() + "/w.gguf"; }

TEST(GgufWriter, RoundTripsMetadataAndTensors) {
  GgufWriter w;
  w.Set("general.architecture", GgufValue::String("llama"));
  w.Set("k.u8", GgufValue::U8(7));
  w.Set("k.i8", GgufValue::I8(-7));
  w.Set("k.u16", GgufValue::U16(65535));
  w.Set("k.i16", GgufValue::I16(-300));
  w.Set("k.u32", GgufValue::U32(123456));
  w.Set("k.i32", GgufValue::I32(-123456));
  w.Set("k.u64", GgufValue::U64(uint64_t{1} << 50));
  w.Set("k.i64", GgufValue::I64(-(int64_t{1} << 50)));
  w.Set("k.f32", GgufValue::F32(0.125f));
  w.Set("k.f64", GgufValue::F64(1e-300));
  w.Set("k.bool", GgufValue::Bool(false));
  w.Set("k.strings", GgufValue::StringArray({"a", "", "Ġthe"}));
  w.Set("k.i32s", GgufValue::I32Array({1, -2, 3}));
  w.Set("k.u32s", GgufValue::U32Array({}));
  w.Set("k.f32s", GgufValue::F32Array({0.5f, 2.0f}));
  w.Set("k.nested",
        GgufValue::ArrayOfArrays({GgufValue::StringArray({"x"}), GgufValue::I32Array({9})}));
  w.Set("k.u8", GgufValue::U8(8));  // replaced in place

  const std::vector<float> f32 = {1, 2, 3, 4, 5, 6};
  ASSERT_TRUE(
      w.AddTensor("a", {DType::kF32, {2, 3}, reinterpret_cast<const std::byte*>(f32.data())}).ok());
  const std::vector<uint16_t> f16 = {F32ToF16(1.5f), F32ToF16(-2.0f), F32ToF16(0.25f)};
  ASSERT_TRUE(
      w.AddTensor("b", {DType::kF16, {3}, reinterpret_cast<const std::byte*>(f16.data())}).ok());
  // A Q4_K tensor [2, 256] produced row by row.
  std::vector<std::byte> q4k(static_cast<size_t>(RowBytes(DType::kQ4_K, 256)) * 2);
  std::vector<float> src(512);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<float>(i % 17) - 8.0f;
  QuantizeRowReference(DType::kQ4_K, src.data(), q4k.data(), 512);
  ASSERT_TRUE(w.AddTensor("c", DType::kQ4_K, {2, 256}, [&](int64_t row, std::byte* out) {
                 std::memcpy(out, q4k.data() + row * 144, 144);
                 return Status::Ok();
               }).ok());
  EXPECT_EQ(w.tensor_count(), 3u);
  const std::string path = TempPath();
  ASSERT_TRUE(w.Write(path, {}).ok());

  Result<GgufFile> f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->metadata()[1].first, "k.u8");
  EXPECT_EQ(*f->GetInt("k.u8"), 8);
  EXPECT_EQ(f->Find("k.u8")->type(), GgufType::kUint8);
  EXPECT_EQ(*f->GetInt("k.i8"), -7);
  EXPECT_EQ(*f->GetInt("k.u16"), 65535);
  EXPECT_EQ(*f->GetInt("k.i16"), -300);
  EXPECT_EQ(*f->GetU32("k.u32"), 123456u);
  EXPECT_EQ(*f->GetInt("k.i32"), -123456);
  EXPECT_EQ(*f->GetInt("k.u64"), int64_t{1} << 50);
  EXPECT_EQ(*f->GetInt("k.i64"), -(int64_t{1} << 50));
  EXPECT_EQ(*f->GetFloat("k.f32"), 0.125);
  EXPECT_EQ(*f->GetFloat("k.f64"), 1e-300);
  EXPECT_EQ(*f->GetBool("k.bool"), false);
  EXPECT_EQ(*f->GetStringArray("k.strings"), (std::vector<std::string>{"a", "", "Ġthe"}));
  EXPECT_EQ(*f->GetIntArray("k.i32s"), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(f->Find("k.u32s")->array_size(), 0u);
  EXPECT_EQ(f->Find("k.u32s")->array_type(), GgufType::kUint32);
  EXPECT_EQ(*f->GetFloatArray("k.f32s"), (std::vector<double>{0.5, 2.0}));
  const auto* nested = f->Find("k.nested")->AsArrayOfArrays();
  ASSERT_NE(nested, nullptr);
  EXPECT_EQ(*(*nested)[0].AsStringArray(), (std::vector<std::string>{"x"}));
  EXPECT_EQ(*(*nested)[1].AsIntArray(), (std::vector<int64_t>{9}));

  EXPECT_EQ(f->data_offset() % kGgufDefaultAlignment, 0u);
  for (const GgufTensorInfo& t : f->tensors()) EXPECT_EQ(t.offset % kGgufDefaultAlignment, 0u);
  const TensorView a = *f->Tensor("a");
  EXPECT_EQ(a.shape, (Shape{2, 3}));
  EXPECT_EQ(std::vector<float>(a.F32().begin(), a.F32().end()), f32);
  const TensorView b = *f->Tensor("b");
  EXPECT_EQ(b.dtype, DType::kF16);
  EXPECT_EQ(std::memcmp(b.data, f16.data(), 6), 0);
  const TensorView c = *f->Tensor("c");
  EXPECT_EQ(c.dtype, DType::kQ4_K);
  EXPECT_EQ(c.shape, (Shape{2, 256}));
  EXPECT_EQ(std::memcmp(c.data, q4k.data(), q4k.size()), 0);
}

TEST(GgufWriter, CustomAlignmentIsRecordedAndHonoured) {
  GgufWriter w;
  ASSERT_TRUE(w.SetAlignment(128).ok());
  const std::vector<float> x(5, 1.0f);
  const auto* p = reinterpret_cast<const std::byte*>(x.data());
  ASSERT_TRUE(w.AddTensor("x", {DType::kF32, {5}, p}).ok());
  ASSERT_TRUE(w.AddTensor("y", {DType::kF32, {3}, p}).ok());
  const std::string path = TempPath();
  ASSERT_TRUE(w.Write(path, {}).ok());
  Result<GgufFile> f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->alignment(), 128u);
  EXPECT_EQ(*f->GetU32("general.alignment"), 128u);
  EXPECT_EQ(f->data_offset() % 128, 0u);
  EXPECT_EQ(f->FindTensor("y")->offset, 128u);  // 20 bytes of x padded to 128
  EXPECT_FALSE(w.SetAlignment(48).ok());
  EXPECT_FALSE(w.SetAlignment(0).ok());
}

TEST(GgufWriter, RejectsBadTensors) {
  GgufWriter w;
  const std::vector<float> x(64, 0.0f);
  const auto* p = reinterpret_cast<const std::byte*>(x.data());
  ASSERT_TRUE(w.AddTensor("x", {DType::kF32, {4}, p}).ok());
  EXPECT_FALSE(w.AddTensor("x", {DType::kF32, {4}, p}).ok());
  EXPECT_FALSE(w.AddTensor("five", {DType::kF32, {1, 1, 1, 1, 1}, p}).ok());
  EXPECT_FALSE(w.AddTensor("scalar", {DType::kF32, {}, p}).ok());
  EXPECT_FALSE(w.AddTensor("zero", {DType::kF32, {0, 4}, p}).ok());
  EXPECT_FALSE(w.AddTensor("ragged", DType::kQ8_0, {31}, nullptr).ok());
}

TEST(GgufWriter, FailedWriteLeavesNoFileAndExistingFilesNeedOverwrite) {
  const std::string path = TempPath();
  GgufWriter failing;
  ASSERT_TRUE(failing
                  .AddTensor("t", DType::kF32, {4},
                             [](int64_t, std::byte*) { return InvalidArgument("boom"); })
                  .ok());
  Status s = failing.Write(path, {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("boom"), std::string::npos);
  EXPECT_NE(s.message().find("'t'"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path));

  GgufWriter empty;
  ASSERT_TRUE(empty.Write(path, {}).ok());
  EXPECT_EQ(empty.Write(path, {}).code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(empty.Write(path, {.overwrite = true}).ok());
  Result<GgufFile> f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_TRUE(f->tensors().empty());
}

}  // namespace
}  // namespace lieq

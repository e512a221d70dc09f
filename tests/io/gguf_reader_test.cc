// GgufFile::Open on hand-built files: what the specification says is read as it says, and
// every truncated, forged or corrupt header is an error naming the file, never a crash or a
// huge allocation.
#include "io/gguf_reader.h"

#include <gtest/gtest.h>

#include <cstring>

#include "gguf_test_bytes.h"
#include "test_util.h"

namespace lieq {
namespace {

using testing::GgufBytes;

constexpr uint32_t kF32Id = 0;
constexpr uint32_t kQ8_0Id = 8;
constexpr uint32_t kArrayId = 9;
constexpr uint32_t kStringId = 8;

// A small valid version-2 file: four metadata keys (alignment 64), an F32 [2, 3] tensor and a
// Q8_0 [32] tensor at offset 64.
GgufBytes ValidFile() {
  GgufBytes b;
  b.Header(2, 2, 4);
  b.KvU32("general.alignment", 64);
  b.Str("test.name").U32(kStringId).Str("tiny");
  b.Str("test.words").U32(kArrayId).U32(kStringId).U64(2).Str("ab").Str("");
  b.Str("test.ratio").U32(6).Put<float>(0.5f);
  b.TensorInfo("w", {3, 2}, kF32Id, 0);
  b.TensorInfo("q", {32}, kQ8_0Id, 64);
  b.PadTo(64);
  const float w[6] = {1, 2, 3, 4, 5, 6};
  b.Raw(w, sizeof(w)).PadTo(64);
  std::string block(34, '\0');
  block[0] = 0x00;
  block[1] = 0x3C;  // fp16 1.0
  block[2] = 5;     // qs[0]
  b.Raw(block.data(), block.size());
  return b;
}

std::string WriteFile(const GgufBytes& b, size_t n = std::string::npos) {
  const std::string path = testing::TempDir() + "/t.gguf";
  b.WriteTo(path, n);
  return path;
}

// Opens a file that must be rejected; returns the error message (which must name the file).
std::string OpenError(const GgufBytes& b) {
  const std::string path = WriteFile(b);
  Result<GgufFile> f = GgufFile::Open(path);
  EXPECT_FALSE(f.ok());
  if (f.ok()) return "";
  EXPECT_NE(f.status().message().find(path), std::string::npos) << f.status().message();
  return f.status().message();
}

TEST(GgufReader, ReadsHandBuiltFileAsTheSpecSays) {
  const std::string path = WriteFile(ValidFile());
  Result<GgufFile> f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->version(), 2u);
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->data_offset() % 64, 0u);
  ASSERT_EQ(f->metadata().size(), 4u);
  EXPECT_EQ(f->metadata()[1].first, "test.name");  // file order kept
  EXPECT_EQ(*f->GetString("test.name"), "tiny");
  EXPECT_EQ(*f->GetStringArray("test.words"), (std::vector<std::string>{"ab", ""}));
  EXPECT_EQ(*f->GetFloat("test.ratio"), 0.5);

  ASSERT_EQ(f->tensors().size(), 2u);
  Result<TensorView> w = f->Tensor("w");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->shape, (Shape{2, 3}));  // ne = [3, 2] reversed
  EXPECT_EQ(w->dtype, DType::kF32);
  EXPECT_EQ(w->F32()[4], 5.0f);
  EXPECT_EQ(w->data, f->file()->data() + f->data_offset());
  const GgufTensorInfo* q = f->FindTensor("q");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->dtype, DType::kQ8_0);
  EXPECT_EQ(q->size_bytes, 34u);
  EXPECT_EQ(f->View(*q).data, f->file()->data() + f->data_offset() + 64);
  EXPECT_EQ(static_cast<int>(f->View(*q).data[2]), 5);
}

TEST(GgufReader, AllMetadataTypes) {
  GgufBytes b;
  b.Header(3, 0, 15);
  b.Str("u8").U32(0).U8(200);
  b.Str("i8").U32(1).Put<int8_t>(-100);
  b.Str("u16").U32(2).Put<uint16_t>(60000);
  b.Str("i16").U32(3).Put<int16_t>(-30000);
  b.Str("u32").U32(4).U32(4000000000u);
  b.Str("i32").U32(5).Put<int32_t>(-2000000000);
  b.Str("f32").U32(6).Put<float>(1.25f);
  b.Str("bool").U32(7).U8(1);
  b.Str("str").U32(8).Str("héllo");
  b.Str("u64").U32(10).U64(~uint64_t{0});
  b.Str("i64").U32(11).Put<int64_t>(-(int64_t{1} << 40));
  b.Str("f64").U32(12).Put<double>(-2.5);
  b.Str("ints").U32(kArrayId).U32(5).U64(3).Put<int32_t>(-1).Put<int32_t>(0).Put<int32_t>(7);
  b.Str("floats").U32(kArrayId).U32(6).U64(2).Put<float>(0.5f).Put<float>(-3.0f);
  // An array of two arrays: [[1u8, 2u8], []] as uint8.
  b.Str("nested").U32(kArrayId).U32(kArrayId).U64(2);
  b.U32(0).U64(2).U8(1).U8(2);
  b.U32(0).U64(0);
  Result<GgufFile> f = GgufFile::Open(WriteFile(b));
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(*f->GetInt("u8"), 200);
  EXPECT_EQ(*f->GetInt("i8"), -100);
  EXPECT_EQ(*f->GetInt("u16"), 60000);
  EXPECT_EQ(*f->GetInt("i16"), -30000);
  EXPECT_EQ(*f->GetU32("u32"), 4000000000u);
  EXPECT_EQ(*f->GetInt("i32"), -2000000000);
  EXPECT_EQ(*f->GetFloat("f32"), 1.25);
  EXPECT_EQ(*f->GetBool("bool"), true);
  EXPECT_EQ(*f->GetString("str"), "héllo");
  EXPECT_EQ(*f->Find("u64")->AsUint(), ~uint64_t{0});
  EXPECT_FALSE(f->GetInt("u64").ok());  // does not fit int64
  EXPECT_EQ(*f->GetInt("i64"), -(int64_t{1} << 40));
  EXPECT_EQ(*f->GetFloat("f64"), -2.5);
  EXPECT_EQ(*f->GetIntArray("ints"), (std::vector<int64_t>{-1, 0, 7}));
  EXPECT_EQ(*f->GetFloatArray("floats"), (std::vector<double>{0.5, -3.0}));
  const std::vector<GgufValue>* nested = f->Find("nested")->AsArrayOfArrays();
  ASSERT_NE(nested, nullptr);
  ASSERT_EQ(nested->size(), 2u);
  EXPECT_EQ(*(*nested)[0].AsIntArray(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ((*nested)[1].array_size(), 0u);
}

TEST(GgufReader, TypedGettersReportKeyAndFile) {
  const std::string path = WriteFile(ValidFile());
  Result<GgufFile> f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok());
  Result<int64_t> wrong = f->GetInt("test.name");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("test.name"), std::string::npos);
  EXPECT_NE(wrong.status().message().find(path), std::string::npos);
  Result<std::string> missing = f->GetString("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
  EXPECT_FALSE(f->GetFloat("general.alignment").ok());  // integers are not floats
  EXPECT_FALSE(f->GetStringArray("test.ratio").ok());
  Result<TensorView> t = f->Tensor("absent");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
}

TEST(GgufReader, EveryTruncationIsAnError) {
  const GgufBytes b = ValidFile();
  for (size_t n = 0; n < b.size(); ++n) {
    const std::string path = WriteFile(b, n);
    Result<GgufFile> f = GgufFile::Open(path);
    EXPECT_FALSE(f.ok()) << "truncated to " << n << " bytes";
    if (!f.ok()) {
      EXPECT_NE(f.status().message().find(path), std::string::npos) << f.status().message();
    }
  }
  EXPECT_TRUE(GgufFile::Open(WriteFile(b)).ok());
}

// Every single-byte corruption of the header either still parses or is an error; run under
// the sanitizers this shows no corruption reads out of bounds.
TEST(GgufReader, ByteFlipsNeverCrash) {
  const GgufBytes b = ValidFile();
  Result<GgufFile> ok = GgufFile::Open(WriteFile(b));
  ASSERT_TRUE(ok.ok());
  const size_t header_end = ok->data_offset();
  for (size_t i = 0; i < header_end; ++i) {
    for (uint8_t mask : {0xFF, 0x01, 0x80}) {
      std::string bytes = b.str();
      bytes[i] = static_cast<char>(bytes[i] ^ mask);
      GgufBytes corrupt;
      corrupt.Raw(bytes.data(), bytes.size());
      Result<GgufFile> f = GgufFile::Open(WriteFile(corrupt));
      if (f.ok()) {
        for (const GgufTensorInfo& t : f->tensors()) {
          EXPECT_LE(f->data_offset() + t.offset + t.size_bytes, f->file()->size());
        }
      }
    }
  }
}

TEST(GgufReader, RejectsBadMagicAndVersions) {
  GgufBytes magic;
  magic.Raw("GGUG", 4).U32(3).U64(0).U64(0);
  EXPECT_NE(OpenError(magic).find("magic"), std::string::npos);
  GgufBytes v1;
  v1.Header(1, 0, 0);
  EXPECT_NE(OpenError(v1).find("version 1"), std::string::npos);
  GgufBytes v4;
  v4.Header(4, 0, 0);
  EXPECT_NE(OpenError(v4).find("version 4"), std::string::npos);
  GgufBytes big_endian;
  big_endian.Header(0x03000000u, 0, 0);
  EXPECT_NE(OpenError(big_endian).find("big-endian"), std::string::npos);
  EXPECT_NE(OpenError(GgufBytes()).find("truncated"), std::string::npos);  // empty file
}

TEST(GgufReader, RejectsForgedCounts) {
  GgufBytes tensors;
  tensors.Header(3, uint64_t{1} << 62, 0);
  EXPECT_NE(OpenError(tensors).find("tensor count"), std::string::npos);
  GgufBytes kvs;
  kvs.Header(3, 0, uint64_t{1} << 62);
  EXPECT_NE(OpenError(kvs).find("metadata count"), std::string::npos);
  GgufBytes key;
  key.Header(3, 0, 1).U64(uint64_t{1} << 63).U64(0).U64(0);  // room for the kv count
  EXPECT_NE(OpenError(key).find("length"), std::string::npos);
  GgufBytes array;
  array.Header(3, 0, 1).Str("a").U32(kArrayId).U32(4).U64(uint64_t{1} << 61);
  EXPECT_NE(OpenError(array).find("cannot fit"), std::string::npos);
  GgufBytes strings;
  strings.Header(3, 0, 1).Str("a").U32(kArrayId).U32(kStringId).U64(uint64_t{1} << 60);
  EXPECT_NE(OpenError(strings).find("cannot fit"), std::string::npos);
  GgufBytes string_value;
  string_value.Header(3, 0, 1).Str("a").U32(kStringId).U64(~uint64_t{0});
  EXPECT_NE(OpenError(string_value).find("length"), std::string::npos);
}

TEST(GgufReader, RejectsDeeplyNestedArrays) {
  GgufBytes b;
  b.Header(3, 0, 1).Str("a").U32(kArrayId);
  for (int i = 0; i < 100; ++i) b.U32(kArrayId).U64(1);
  b.U32(4).U64(1).U32(7);
  EXPECT_NE(OpenError(b).find("nested"), std::string::npos);
}

TEST(GgufReader, RejectsBadMetadata) {
  GgufBytes type;
  type.Header(3, 0, 1).Str("a").U32(13).U32(0);
  EXPECT_NE(OpenError(type).find("unknown"), std::string::npos);
  GgufBytes array_type;
  array_type.Header(3, 0, 1).Str("a").U32(kArrayId).U32(77).U64(0);
  EXPECT_NE(OpenError(array_type).find("unknown"), std::string::npos);
  GgufBytes dup;
  dup.Header(3, 0, 2).KvU32("k", 1).KvU32("k", 2);
  EXPECT_NE(OpenError(dup).find("twice"), std::string::npos);
  GgufBytes align;
  align.Header(3, 0, 1).KvU32("general.alignment", 48);
  EXPECT_NE(OpenError(align).find("general.alignment"), std::string::npos);
  GgufBytes align_zero;
  align_zero.Header(3, 0, 1).KvU32("general.alignment", 0);
  EXPECT_NE(OpenError(align_zero).find("general.alignment"), std::string::npos);
  GgufBytes align_type;
  align_type.Header(3, 0, 1).Str("general.alignment").U32(5).U32(64);  // int32, not uint32
  EXPECT_NE(OpenError(align_type).find("general.alignment"), std::string::npos);
  GgufBytes boolean;
  boolean.Header(3, 0, 1).Str("b").U32(7).U8(2);
  EXPECT_NE(OpenError(boolean).find("bool"), std::string::npos);
}

// A file with one tensor info and `data_bytes` of zeroed data after 32-byte padding.
GgufBytes OneTensor(const std::vector<uint64_t>& ne, uint32_t type, uint64_t offset,
                    size_t data_bytes) {
  GgufBytes b;
  b.Header(3, 1, 0).TensorInfo("t", ne, type, offset).PadTo(32);
  const std::string zeros(data_bytes, '\0');
  b.Raw(zeros.data(), zeros.size());
  return b;
}

TEST(GgufReader, RejectsBadTensorInfos) {
  EXPECT_TRUE(GgufFile::Open(WriteFile(OneTensor({8, 2}, kF32Id, 0, 64))).ok());
  EXPECT_NE(
      OpenError(OneTensor({uint64_t{1} << 40, uint64_t{1} << 40}, kF32Id, 0, 64)).find("overflows"),
      std::string::npos);
  EXPECT_NE(OpenError(OneTensor({uint64_t{1} << 20, uint64_t{1} << 20}, kF32Id, 0, 64))
                .find("more bytes than"),
            std::string::npos);
  EXPECT_NE(OpenError(OneTensor({1, 1, 1, 1, 1}, kF32Id, 0, 64)).find("dimensions"),
            std::string::npos);
  EXPECT_NE(OpenError(OneTensor({}, kF32Id, 0, 64)).find("dimensions"), std::string::npos);
  EXPECT_NE(OpenError(OneTensor({8, 0}, kF32Id, 0, 64)).find("dimension 0"), std::string::npos);
  EXPECT_NE(OpenError(OneTensor({~uint64_t{0}}, kF32Id, 0, 64)).find("dimension"),
            std::string::npos);
  const std::string unknown = OpenError(OneTensor({8}, 99, 0, 64));
  EXPECT_NE(unknown.find("type id 99"), std::string::npos);
  EXPECT_NE(OpenError(OneTensor({31}, kQ8_0Id, 0, 64)).find("block size"), std::string::npos);
  EXPECT_NE(OpenError(OneTensor({8}, kF32Id, 4, 64)).find("alignment"), std::string::npos);
  EXPECT_NE(OpenError(OneTensor({8}, kF32Id, 64, 64)).find("outside"), std::string::npos);
  EXPECT_NE(OpenError(OneTensor({8}, kF32Id, ~uint64_t{0} - 31, 64)).find("outside"),
            std::string::npos);
}

TEST(GgufReader, RejectsOverlappingAndDuplicateTensors) {
  GgufBytes overlap;
  overlap.Header(3, 2, 0).TensorInfo("a", {16}, kF32Id, 0).TensorInfo("b", {8}, kF32Id, 32);
  overlap.PadTo(32);
  const std::string zeros(128, '\0');
  overlap.Raw(zeros.data(), zeros.size());
  EXPECT_NE(OpenError(overlap).find("overlap"), std::string::npos);
  GgufBytes dup;
  dup.Header(3, 2, 0).TensorInfo("a", {8}, kF32Id, 0).TensorInfo("a", {8}, kF32Id, 32);
  dup.PadTo(32);
  dup.Raw(zeros.data(), zeros.size());
  EXPECT_NE(OpenError(dup).find("twice"), std::string::npos);
}

TEST(GgufReader, MissingFileIsNotFound) {
  Result<GgufFile> f = GgufFile::Open(testing::TempDir() + "/absent.gguf");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace lieq

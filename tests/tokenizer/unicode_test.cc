// UTF-8 validation, GPT-2's byte alphabet and NFC.
#include <gtest/gtest.h>

#include "tokenizer/byte_level.h"
#include "tokenizer/nfc.h"
#include "tokenizer/utf8.h"

namespace lieq {
namespace {

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(ValidateUtf8("").ok());
  EXPECT_TRUE(ValidateUtf8("plain ascii").ok());
  EXPECT_TRUE(ValidateUtf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x99\x82").ok());  // é € 🙂
  EXPECT_TRUE(ValidateUtf8("\xF4\x8F\xBF\xBF").ok());                      // U+10FFFF
  EXPECT_TRUE(ValidateUtf8(std::string("a\0b", 3)).ok());                  // NUL is valid
}

TEST(Utf8Test, RejectsMalformedTextNamingTheOffset) {
  const struct {
    std::string text;
    size_t offset;
  } cases[] = {
      {"ab\x80", 2},            // lone continuation byte
      {"\xC3", 0},              // truncated sequence
      {"x\xC0\xAF", 1},         // overlong '/'
      {"xy\xE0\x80\xAF", 2},    // overlong 3-byte form
      {"\xED\xA0\x80", 0},      // UTF-16 surrogate U+D800
      {"\xF4\x90\x80\x80", 0},  // past U+10FFFF
      {"ok \xFF", 3},           // never valid
      {"\xE2\x82", 0},          // truncated 3-byte form
  };
  for (const auto& c : cases) {
    Status s = ValidateUtf8(c.text);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("byte offset " + std::to_string(c.offset)), std::string::npos)
        << s.message();
  }
}

TEST(Utf8Test, EncodeDecodeRoundTrip) {
  for (char32_t cp : {U'\0', U'A', U'\u00E9', U'\u20AC', U'\U0001F642', U'\U0010FFFF'}) {
    std::string s;
    AppendUtf8(cp, &s);
    ASSERT_TRUE(ValidateUtf8(s).ok());
    size_t pos = 0;
    EXPECT_EQ(DecodeUtf8(s, &pos), cp);
    EXPECT_EQ(pos, s.size());
  }
}

TEST(ByteLevelTest, AlphabetIsGpt2s) {
  EXPECT_EQ(ByteToAlphabet('A'), U'A');
  EXPECT_EQ(ByteToAlphabet(' '), U'\u0120');   // "Ġ"
  EXPECT_EQ(ByteToAlphabet('\n'), U'\u010A');  // "Ċ"
  EXPECT_EQ(ByteToAlphabet(0xE9), U'\u00E9');  // printable Latin-1 keeps itself
  EXPECT_EQ(ByteToAlphabet(0xAD), U'\u0143');  // soft hyphen, the last remapped byte
  for (int b = 0; b < 256; ++b) EXPECT_EQ(AlphabetToByte(ByteToAlphabet(b)), b);
  EXPECT_EQ(AlphabetToByte(U'\u0200'), -1);
}

TEST(ByteLevelTest, RoundTripsArbitraryBytes) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::string spelled = ToByteLevel(all);
  EXPECT_TRUE(ValidateUtf8(spelled).ok());
  std::string back;
  ASSERT_TRUE(FromByteLevel(spelled, &back));
  EXPECT_EQ(back, all);
  EXPECT_EQ(ToByteLevel(" hi\n"), "\xC4\xA0hi\xC4\x8A");  // "Ġhi" + "Ċ"
  std::string out = "keep";
  EXPECT_FALSE(FromByteLevel("\xE2\x82\xAC", &out));  // "€" is outside the alphabet
  EXPECT_FALSE(FromByteLevel("\xFF", &out));          // not UTF-8
  EXPECT_EQ(out, "keep");
}

TEST(NfcTest, ComposesAndKeepsAscii) {
  Result<std::string> composed = NfcNormalize("e\xCC\x81");  // e + combining acute
  ASSERT_TRUE(composed.ok());
  EXPECT_EQ(*composed, "\xC3\xA9");  // é
  EXPECT_EQ(*NfcNormalize("Hello"), "Hello");
  EXPECT_EQ(*NfcNormalize(""), "");
  EXPECT_EQ(*NfcNormalize("\xE2\x84\xAB"), "\xC3\x85");  // Angstrom sign -> Å (singleton)
}

}  // namespace
}  // namespace lieq

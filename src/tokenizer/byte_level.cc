#include "tokenizer/byte_level.h"

#include <array>

#include "tokenizer/utf8.h"

namespace lieq {
namespace {

// Bytes that are printable and not whitespace in Latin-1 keep their own code point.
constexpr bool KeepsItself(int b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

constexpr std::array<char32_t, 256> MakeByteToAlphabet() {
  std::array<char32_t, 256> table{};
  char32_t next = 0x100;
  for (int b = 0; b < 256; ++b) table[b] = KeepsItself(b) ? static_cast<char32_t>(b) : next++;
  return table;
}

constexpr std::array<char32_t, 256> kByteToAlphabet = MakeByteToAlphabet();
constexpr char32_t kAlphabetEnd = 0x100 + 68;  // one past the last remapped code point

constexpr std::array<int16_t, kAlphabetEnd> MakeAlphabetToByte() {
  std::array<int16_t, kAlphabetEnd> table{};
  for (auto& v : table) v = -1;
  for (int b = 0; b < 256; ++b) table[kByteToAlphabet[b]] = static_cast<int16_t>(b);
  return table;
}

constexpr std::array<int16_t, kAlphabetEnd> kAlphabetToByte = MakeAlphabetToByte();

}  // namespace

char32_t ByteToAlphabet(uint8_t b) { return kByteToAlphabet[b]; }

int AlphabetToByte(char32_t cp) { return cp < kAlphabetEnd ? kAlphabetToByte[cp] : -1; }

std::string ToByteLevel(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) AppendUtf8(ByteToAlphabet(static_cast<uint8_t>(c)), &out);
  return out;
}

bool FromByteLevel(std::string_view text, std::string* out) {
  const size_t start = out->size();
  size_t pos = 0;
  while (pos < text.size()) {
    // Token texts come from files: check each sequence rather than trusting them to be UTF-8.
    const int b = Utf8SequenceLength(text, pos) == 0 ? -1 : AlphabetToByte(DecodeUtf8(text, &pos));
    if (b < 0) {
      out->resize(start);
      return false;
    }
    out->push_back(static_cast<char>(b));
  }
  return true;
}

}  // namespace lieq

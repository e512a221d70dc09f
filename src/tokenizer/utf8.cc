#include "tokenizer/utf8.h"

#include <cassert>
#include <cstdint>

namespace lieq {

size_t Utf8SequenceLength(std::string_view text, size_t pos) {
  assert(pos < text.size());
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[pos + i]); };
  const size_t left = text.size() - pos;
  const uint8_t b0 = byte(0);
  if (b0 < 0x80) return 1;
  const auto cont = [&](size_t i) { return i < left && (byte(i) & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    // E0 needs >= A0 (else overlong); ED needs < A0 (else a UTF-16 surrogate).
    if (b0 == 0xE0 && byte(1) < 0xA0) return 0;
    if (b0 == 0xED && byte(1) >= 0xA0) return 0;
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    // F0 needs >= 90 (else overlong); F4 needs < 90 (else past U+10FFFF).
    if (b0 == 0xF0 && byte(1) < 0x90) return 0;
    if (b0 == 0xF4 && byte(1) >= 0x90) return 0;
    return 4;
  }
  return 0;  // continuation byte, C0/C1 (always overlong) or F5..FF
}

Status ValidateUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    // ASCII runs are the common case; skip them without the full decoder.
    if (static_cast<uint8_t>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const size_t n = Utf8SequenceLength(text, pos);
    if (n == 0) return InvalidArgument("invalid UTF-8 at byte offset " + std::to_string(pos));
    pos += n;
  }
  return Status::Ok();
}

char32_t DecodeUtf8(std::string_view text, size_t* pos) {
  const auto b = [&](size_t i) { return static_cast<uint8_t>(text[*pos + i]); };
  const uint8_t b0 = b(0);
  char32_t cp;
  if (b0 < 0x80) {
    cp = b0;
    *pos += 1;
  } else if (b0 < 0xE0) {
    cp = (char32_t{b0} & 0x1F) << 6 | (b(1) & 0x3F);
    *pos += 2;
  } else if (b0 < 0xF0) {
    cp = (char32_t{b0} & 0x0F) << 12 | (char32_t{b(1)} & 0x3F) << 6 | (b(2) & 0x3F);
    *pos += 3;
  } else {
    cp = (char32_t{b0} & 0x07) << 18 | (char32_t{b(1)} & 0x3F) << 12 |
         (char32_t{b(2)} & 0x3F) << 6 | (b(3) & 0x3F);
    *pos += 4;
  }
  return cp;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace lieq

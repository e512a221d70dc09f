// UTF-8 validation and code point helpers. Validation is strict (no overlong forms, surrogates
// or code points past U+10FFFF) so that everything after it may assume well-formed input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace lieq {

// Length (1..4) of the well-formed UTF-8 sequence that starts at text[pos], or 0 if there is none.
size_t Utf8SequenceLength(std::string_view text, size_t pos);

// OK for well-formed UTF-8; otherwise InvalidArgument naming the byte offset of the first bad
// sequence.
Status ValidateUtf8(std::string_view text);

// Decodes the code point at text[*pos] and advances *pos past it. `text` must be valid UTF-8.
char32_t DecodeUtf8(std::string_view text, size_t* pos);

// Appends the UTF-8 encoding of `cp` (a Unicode scalar value) to `out`.
void AppendUtf8(char32_t cp, std::string* out);

}  // namespace lieq

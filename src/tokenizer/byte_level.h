// GPT-2's byte-level alphabet: a reversible map from the 256 byte values to printable code points,
// so that byte-level BPE vocabularies (Qwen, Llama-3) can store arbitrary bytes as visible text.
// Printable Latin-1 bytes map to themselves; the other 68 (controls, space, DEL, NBSP, soft
// hyphen) map to U+0100.. in byte order, which is why a space shows as "Ġ" (U+0120).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lieq {

// The code point that stands for byte `b`.
char32_t ByteToAlphabet(uint8_t b);

// The byte that code point `cp` stands for, or -1 when `cp` is not in the alphabet.
int AlphabetToByte(char32_t cp);

// `bytes` spelled in the alphabet (UTF-8), as byte-level vocabularies store them.
std::string ToByteLevel(std::string_view bytes);

// Inverse of ToByteLevel: appends the bytes that `text` spells to `out`, or returns false
// (leaving `out` unchanged) when `text` holds a character outside the alphabet or bad UTF-8.
bool FromByteLevel(std::string_view text, std::string* out);

}  // namespace lieq

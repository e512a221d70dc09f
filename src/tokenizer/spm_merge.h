// SentencePiece-style merging for vocabularies that come with scores but no merge list (GGUF
// "llama" files): starting from single characters, repeatedly join the adjacent pair whose
// concatenation is a token with the highest score, ties going to the leftmost pair.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "tokenizer/token_index.h"

namespace lieq {

// Appends the final pieces of well-formed UTF-8 `text` (views into it) to `pieces`. A piece is
// either a token of `index` or a single character that is not one (for byte fallback).
// `scores` is indexed by token id.
void SpmMergeByScore(std::string_view text, const TokenIndex& index, std::span<const float> scores,
                     std::vector<std::string_view>* pieces);

}  // namespace lieq
